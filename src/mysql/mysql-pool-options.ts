import { backfillFromDsn } from '../config/dsn.js';
import { type PoolOptions, type Resolved, resolvePoolOptions } from '../postgres/pool-options.js';

/**
 * Settings of a {@link MysqlPool}: the pool options of every server pool (`PoolOptions`), the
 * defaults PostgreSQL's (`POOL_DEFAULTS`). `connectionString` is `mysql://` or `mariadb://`;
 * `statementTimeoutMs` is MariaDB's `max_statement_time`, MySQL's `max_execution_time`;
 * `prepare: false` sends values inline, escaped by `mysql2`.
 */
export type MysqlPoolOptions = PoolOptions;

/** {@link MysqlPoolOptions} with every default applied: what a `MysqlPool` runs with. */
export type ResolvedMysqlPoolOptions = Resolved<MysqlPoolOptions>;

function warnIdleError(error: Error, host: string): void {
  process.emitWarning(`An idle MySQL connection to ${host} failed: ${error.message}`, {
    code: 'LIBRETTO_MYSQL_IDLE_ERROR',
  });
}

/**
 * Checks `options`, fills the connection fields from `connectionString` and applies the
 * defaults; the password is not enumerable, so logging or spreading the result never shows it.
 */
export function resolveMysqlPoolOptions(options: MysqlPoolOptions): ResolvedMysqlPoolOptions {
  const filled = backfillFromDsn({ ...options, dsn: options.connectionString });
  const { dsn: _dsn, hosts: _hosts, params: _params, ...rest } = filled;
  return resolvePoolOptions('MysqlPool', rest as MysqlPoolOptions, [], warnIdleError);
}

/** `host:port` of the server, for messages (never credentials). */
export function mysqlAddress(options: ResolvedMysqlPoolOptions): string {
  return `${options.host ?? 'localhost'}:${options.port ?? 3306}`;
}
