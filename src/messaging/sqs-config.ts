import * as z from 'zod';
import { configSection } from '../config/config-section.js';

const seconds = () => z.number().positive().optional();

/** The keys of the `sqs:` section (snake_case, durations in seconds). */
export const SQS_KEYS = {
  region: z.string().min(1).optional(),
  endpoint: z.url().optional(),
  queue_prefix: z.string().optional(),
  access_key_id: z.string().min(1).optional(),
  secret_access_key: z.string().min(1).optional(),
  visibility_timeout: z.number().int().min(1).max(43_200).optional(),
  wait_time: z.number().int().min(0).max(20).optional(),
  request_timeout: seconds(),
  stop_timeout: seconds(),
  prefetch: z.number().int().min(1).max(65_535).optional(),
};

/**
 * The `sqs:` configuration section (YAML, or `LIBRETTO_SQS__*` variables), also the DI token
 * `SqsService` reads. Every key is optional: credentials and region come from the standard
 * AWS chain when not given (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, profiles, roles); the keys
 * given here are masked in every message.
 *
 * @example
 * new ConfigService({ sections: [SqsConfig] });
 * // sqs:
 * //   region: eu-west-1
 * //   queue_prefix: staging-
 */
export const SqsConfig = configSection('sqs', z.strictObject(SQS_KEYS).default({}));

/** The `sqs:` section as read. */
export type SqsSection = z.output<typeof SqsConfig.schema>;
