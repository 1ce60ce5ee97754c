export { DYNAMODB_KEYS, DynamoConfig, type DynamoSection } from './dynamo-config.js';
export { mapDynamoError } from './dynamo-errors.js';
export {
  type CursorPage,
  type CursorPageOptions,
  DynamoRepository,
  type DynamoRepositoryOptions,
} from './dynamo-repository.js';
export { DynamoService, type DynamoServiceOptions } from './dynamo-service.js';
export {
  DYNAMODB_DEFAULTS,
  type DynamoSettings,
  describeDynamo,
  resolveDynamoSettings,
} from './dynamo-settings.js';
export {
  DynamoStore,
  type DynamoStoreOptions,
  type PrepareOptions,
  type Unenforced,
} from './dynamo-store.js';
export type { IndexLayout, KeyAttribute, ModelTables, PairTable } from './dynamo-tables.js';
export { TRANSACTION_LIMIT } from './dynamo-transaction.js';
