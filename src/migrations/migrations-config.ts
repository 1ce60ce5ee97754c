import * as z from 'zod';
import { configSection } from '../config/config-section.js';

/**
 * The `migrations:` section, read by {@link MigrationService}: every key may be absent.
 *
 * ```yaml
 * migrations:
 *   directory: db/migrations   # default: the first of migrations, db/migrations, src/migrations, app/migrations
 *   table: libretto_migrations # the table that records applied migrations
 *   lock_timeout: 60           # seconds to wait for another runner
 *   on_start: apply            # apply | check (refuse to start with pending ones) | off
 * ```
 */
export const MigrationsConfig = configSection(
  'migrations',
  z
    .strictObject({
      directory: z.string().min(1).optional(),
      table: z.string().min(1).optional(),
      lock_timeout: z.number().nonnegative().optional(),
      on_start: z.enum(['apply', 'check', 'off']).optional(),
    })
    .default({}),
);
