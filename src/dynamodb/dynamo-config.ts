import * as z from 'zod';
import { configSection } from '../config/config-section.js';

/** The keys of the `dynamodb:` section (snake_case, durations in seconds). */
export const DYNAMODB_KEYS = {
  region: z.string().min(1).optional(),
  /** Another endpoint than AWS's: DynamoDB Local, dynalite, LocalStack. */
  endpoint: z.url().optional(),
  access_key_id: z.string().min(1).optional(),
  secret_access_key: z.string().min(1).optional(),
  session_token: z.string().min(1).optional(),
  /** Put before every table name (`staging_`), so environments can share an account. */
  table_prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only')
    .optional(),
  /** Strongly consistent reads of tables (not of indexes, which DynamoDB cannot). */
  consistent_read: z.boolean().optional(),
  request_timeout: z.number().positive().optional(),
  max_attempts: z.number().int().min(1).max(20).optional(),
};

/**
 * The `dynamodb:` configuration section (YAML, or `LIBRETTO_DYNAMODB__*` variables), also the
 * DI token `DynamoService` reads. Every key is optional: region and credentials not given come
 * from the standard AWS chain (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, profiles, roles), the
 * endpoint from `AWS_ENDPOINT_URL_DYNAMODB` or AWS; the keys given here are never logged.
 *
 * @example
 * new ConfigService({ sections: [DynamoConfig] });
 * // dynamodb:
 * //   region: eu-west-1
 * //   table_prefix: staging_
 */
export const DynamoConfig = configSection('dynamodb', z.strictObject(DYNAMODB_KEYS).default({}));

/** The `dynamodb:` section as read. */
export type DynamoSection = z.output<typeof DynamoConfig.schema>;
