export { MysqlConfig, type MysqlSection } from './mysql-config.js';
export { mysqlEngine } from './mysql-engine.js';
export { isMysqlRetryable, mapMysqlError, mysqlErrno } from './mysql-error-mapping.js';
export { MysqlPool } from './mysql-pool.js';
export type { MysqlPoolOptions, ResolvedMysqlPoolOptions } from './mysql-pool-options.js';
export { MysqlService, type MysqlServiceOptions } from './mysql-service.js';
export {
  MYSQL_DEFAULTS,
  MYSQL_SEED_VARIABLES,
  type MysqlSettings,
  resolveMysqlSettings,
} from './mysql-settings.js';
