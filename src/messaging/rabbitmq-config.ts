import * as z from 'zod';
import { configSection } from '../config/config-section.js';

const seconds = () => z.number().positive().optional();

/** The keys of the `rabbitmq:` section (snake_case, durations in seconds). */
export const RABBITMQ_KEYS = {
  url: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  vhost: z.string().min(1).optional(),
  tls: z.boolean().optional(),
  queue_prefix: z.string().optional(),
  heartbeat: z.number().min(0).optional(),
  connect_timeout: seconds(),
  send_timeout: seconds(),
  stop_timeout: seconds(),
  reconnect_delay: seconds(),
  reconnect_max_delay: seconds(),
  channel_pool_size: z.number().int().min(1).max(64).optional(),
  prefetch: z.number().int().min(1).max(65_535).optional(),
  /** By queue name: the `x-…` arguments it is declared with (`x-queue-type: quorum`). */
  queue_arguments: z
    .record(
      z.string().min(1),
      z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
        .superRefine((args, ctx) => {
          for (const key of Object.keys(args)) {
            if (!key.startsWith('x-'))
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: 'a queue argument starts with x-',
              });
          }
        }),
    )
    .optional(),
};

/**
 * The `rabbitmq:` configuration section (YAML, or `LIBRETTO_RABBITMQ__*` variables), also
 * the DI token `RabbitMqService` reads. Every key is optional; see docs/messaging.md for
 * the defaults. The section may be left out.
 *
 * @example
 * new ConfigService({ sections: [RabbitMqConfig] });
 * // rabbitmq:
 * //   url: amqp://app:secret@mq.internal:5672/orders
 * //   queue_prefix: staging.
 */
export const RabbitMqConfig = configSection('rabbitmq', z.strictObject(RABBITMQ_KEYS).default({}));

/** The `rabbitmq:` section as read. */
export type RabbitMqSection = z.output<typeof RabbitMqConfig.schema>;
