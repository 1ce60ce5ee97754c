export { maskSecrets, redactSecrets } from '../internal/redaction.js';
export { ConfigError, type ConfigIssue, DsnError } from './config-errors.js';
export {
  type ConfigObject,
  type ConfigSources,
  type LoadedConfig,
  loadConfig,
} from './config-loader.js';
export { ConfigSection, configSection } from './config-section.js';
export { ConfigService, type ConfigServiceOptions, RawConfig } from './config-service.js';
export {
  backfillFromDsn,
  type ConnectionFields,
  type Dsn,
  type DsnHost,
  formatDsn,
  type ParseDsnOptions,
  parseDsn,
} from './dsn.js';
export { type EnvConfig, readEnvConfig } from './env-config.js';
export { LogConfig } from './log-config.js';
export { coerceToSchema } from './schema-coercion.js';
export { resolveSettings, type SettingsLayer } from './settings.js';
