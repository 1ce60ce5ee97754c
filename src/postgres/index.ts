export type { AmbientTransaction } from './ambient-transaction.js';
export type {
  BackendEvent,
  HostFailure,
  HostFenced,
  HostRoleChange,
  SplitBrain,
} from './backend-event.js';
export type {
  ConnectionPool,
  NotificationListener,
  PooledConnection,
  QueryOptions,
  Row,
  StatementResult,
} from './connection-pool.js';
export { Database, type DatabaseOptions } from './database.js';
export type {
  DatabaseAdapter,
  Query,
  TransactionDatabaseAdapter,
  TransactionOptions,
} from './database-adapter.js';
export { DEFAULT_DATA_DIR, EmbeddedPool } from './embedded-backend.js';
export { EmbeddedServer, type EmbeddedServerOptions, MEMORY } from './embedded-server.js';
export { mapDatabaseError, statementName } from './error-mapping.js';
export {
  PgPool,
  type PgPoolOptions,
  type ResolvedPgPoolOptions,
} from './pg-pool.js';
export {
  PglitePool,
  type PglitePoolOptions,
  type ResolvedPglitePoolOptions,
} from './pglite-pool.js';
export { POOL_DEFAULTS } from './pool-defaults.js';
export type { PoolOptions } from './pool-options.js';
export type { BackendContext, BackendOf, PostgresBackend } from './postgres-backend.js';
export {
  binaryPackage,
  findPostgresBinaries,
  installedPostgresBinaries,
  PG_BIN_ENV,
  type PostgresBinaries,
} from './postgres-binaries.js';
export {
  type BackendName,
  type EmbeddedSection,
  type HaSection,
  type PgliteSection,
  type PgSection,
  PostgresConfig,
  type PostgresSection,
} from './postgres-config.js';
export {
  type EmbeddedServiceSettings,
  type HaServiceSettings,
  type PgliteServiceSettings,
  type PgServiceSettings,
  PostgresService,
  type PostgresServiceHooks,
  type PostgresServiceOptions,
} from './postgres-service.js';
export {
  type EmbeddedSettings,
  type HaSettings,
  type PgliteSettings,
  type PgSettings,
  POSTGRES_DEFAULTS,
  type PoolSettings,
  type PostgresSettings,
  type ServerSettings,
  type SettingsOf,
  type SharedSettings,
} from './postgres-settings.js';
export { readYourWrites } from './read-your-writes.js';
export { RequestTransaction } from './request-transaction.js';
export { RuntimePool } from './runtime-pool.js';
export { SqlStatement, sql } from './sql.js';
export { TRANSACTION_DEFAULTS } from './transaction-runner.js';
export { Transactional, type TransactionalOptions, transactional } from './transactional.js';
