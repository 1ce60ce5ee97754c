export { SurrealConfig, type SurrealSection } from './surreal-config.js';
export { SurrealDatabase } from './surreal-database.js';
export { mapSurrealError } from './surreal-errors.js';
export {
  SurrealRepository,
  type SurrealRepositoryOptions,
  surrealRepository,
} from './surreal-repository.js';
export { SurrealService, type SurrealServiceOptions } from './surreal-service.js';
export {
  resolveSurrealSettings,
  SURREAL_DEFAULTS,
  type SurrealSettings,
  type SurrealSettingsInput,
} from './surreal-settings.js';
