import * as z from 'zod';
import { LOG_LEVELS } from '../core/logger.js';
import { configSection } from './config-section.js';

/**
 * The `log:` configuration section, read by every `ConfigService`: `level` sets the
 * application logger's level when neither `LIBRETTO_LOG_LEVEL` nor the `logger.level`
 * option chose one.
 *
 * @example
 * // config.yaml
 * // log:
 * //   level: debug
 */
export const LogConfig = configSection(
  'log',
  z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).default({}),
);
