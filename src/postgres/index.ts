export type { AmbientTransaction } from './ambient-transaction.js';
export { Database, type DatabaseOptions } from './database.js';
export type {
  DatabaseAdapter,
  Query,
  TransactionDatabaseAdapter,
  TransactionOptions,
} from './database-adapter.js';
export type { Driver, DriverConnection, DriverResult, QueryOptions, Row } from './driver.js';
export { mapDatabaseError, statementName } from './error-mapping.js';
export { PgDriver, type PgDriverOptions } from './pg-driver.js';
export { PgliteDriver, type PgliteDriverOptions } from './pglite-driver.js';
export {
  POSTGRES_DEFAULTS,
  PostgresConfig,
  type PostgresSettings,
} from './postgres-config.js';
export { PostgresService, type PostgresServiceOptions } from './postgres-service.js';
export { RequestTransaction } from './request-transaction.js';
export { SqlStatement, sql } from './sql.js';
export { Transactional, type TransactionalOptions, transactional } from './transactional.js';
export { unitOfWork } from './unit-of-work.js';
