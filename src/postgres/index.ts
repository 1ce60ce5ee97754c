export type { AmbientTransaction } from './ambient-transaction.js';
export type {
  ConnectionPool,
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
export { mapDatabaseError, statementName } from './error-mapping.js';
export { PgPool, type PgPoolOptions } from './pg-pool.js';
export { PglitePool, type PglitePoolOptions } from './pglite-pool.js';
export {
  POSTGRES_DEFAULTS,
  PostgresConfig,
  type PostgresSettings,
} from './postgres-config.js';
export { PostgresService, type PostgresServiceOptions } from './postgres-service.js';
export { readYourWrites } from './read-your-writes.js';
export { RequestTransaction } from './request-transaction.js';
export { SqlStatement, sql } from './sql.js';
export { Transactional, type TransactionalOptions, transactional } from './transactional.js';
