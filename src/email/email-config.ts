import * as z from 'zod';
import { configSection } from '../config/config-section.js';
import { EMAIL_PROVIDERS } from './email-definition.js';

const seconds = () => z.number().positive().optional();

/**
 * The `email:` configuration section (YAML, or `LIBRETTO_EMAIL__*` variables) that
 * `EmailTransmitter` reads; every key is optional and the section may be left out.
 *
 * @example
 * new ConfigService({ sections: [RabbitMqConfig, EmailConfig] });
 * // email:
 * //   config: services/email_transmitter/config.json
 * //   queue: email-transmitter
 * //   retries: 5
 */
export const EmailConfig = configSection(
  'email',
  z
    .strictObject({
      /** The path of config.json (`config.json`). */
      config: z.string().min(1).optional(),
      /** The queue consumed, without the prefix (`EmailServiceProcessor_QUEUE_NAME`). */
      queue: z.string().min(1).optional(),
      /** Which entry of `configurations` sends (the first). */
      provider: z.enum(EMAIL_PROVIDERS).optional(),
      /** Emails sent at once (the `rabbitmq:` `prefetch`). */
      prefetch: z.number().int().min(1).max(65_535).optional(),
      /** Tries after the first before a message is dead-lettered and reported (3). */
      retries: z.number().int().min(0).max(100).optional(),
      /** Seconds before the first retry, doubled each time (1), up to `retry_max_delay` (60). */
      retry_delay: seconds(),
      retry_max_delay: seconds(),
      /** Seconds a provider may take to answer (30). */
      timeout: seconds(),
    })
    .default({}),
);

/** The `email:` section as read. */
export type EmailSection = z.output<typeof EmailConfig.schema>;
