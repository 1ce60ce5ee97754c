export { mysqlEngine } from './mysql-engine.js';
export {
  isMysqlRetryable,
  mapMysqlError,
  mysqlErrno,
} from './mysql-error-mapping.js';
export { MysqlPool } from './mysql-pool.js';
export type { MysqlPoolOptions, ResolvedMysqlPoolOptions } from './mysql-pool-options.js';
