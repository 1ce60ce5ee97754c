import { backfillFromDsn } from '../config/dsn.js';
import { checkMinimums, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { PooledConnection } from '../postgres/connection-pool.js';
import { POOL_DEFAULTS } from '../postgres/pool-defaults.js';

/**
 * Settings of a {@link MysqlPool}. Durations in milliseconds; the pool's defaults are
 * PostgreSQL's (`POOL_DEFAULTS`: pool of 0–10, 5 s acquire timeout, 300 s idle timeout,
 * pre-ping after 1 s idle, 100 prepared statements per connection).
 */
export interface MysqlPoolOptions {
  /** `mysql://user:password@host:port/database` (or `mariadb://`); explicit fields win over it. */
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly minSize?: number;
  readonly maxSize?: number;
  /** How long `acquire` waits for a free connection (and a new one to open) before failing. */
  readonly acquireTimeoutMs?: number;
  /** Idle connections above `minSize` close after this long. */
  readonly idleTimeoutMs?: number;
  /** A connection is replaced after this many uses. */
  readonly maxUses?: number;
  /** A connection is replaced after this age. */
  readonly maxLifetimeMs?: number;
  /** Checks a connection idle for longer than this before handing it out (0 = always, false = never). */
  readonly prePingIdleMs?: number | false;
  /** Server-side statement limit (MariaDB `max_statement_time`, MySQL `max_execution_time`). */
  readonly statementTimeoutMs?: number;
  /**
   * Client-side limit on waiting for a statement's answer (a frozen host or a silent
   * partition sends nothing back); the connection is then closed, not reused.
   */
  readonly queryTimeoutMs?: number;
  /** TLS: false, or node's TLS options. */
  readonly ssl?: false | { readonly rejectUnauthorized: boolean };
  /** Server-side prepared statements for statements with values (off: values sent inline, escaped). */
  readonly prepare?: boolean;
  /** Prepared statements kept per connection (least recently used closed on the server). */
  readonly preparedCacheSize?: number;
  /** Runs once on every new connection before its first use (session variables). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
  /**
   * An idle connection failed (its server went away or closed it); the pool has dropped it.
   * Default: a process warning (`LIBRETTO_MYSQL_IDLE_ERROR`) naming the host.
   */
  readonly onIdleError?: (error: Error, host: string) => void;
}

/** {@link MysqlPoolOptions} with every default applied: what a `MysqlPool` runs with. */
export interface ResolvedMysqlPoolOptions
  extends Omit<
    MysqlPoolOptions,
    | 'minSize'
    | 'maxSize'
    | 'acquireTimeoutMs'
    | 'idleTimeoutMs'
    | 'prePingIdleMs'
    | 'prepare'
    | 'preparedCacheSize'
    | 'onIdleError'
  > {
  readonly minSize: number;
  readonly maxSize: number;
  readonly acquireTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly prePingIdleMs: number | false;
  readonly prepare: boolean;
  readonly preparedCacheSize: number;
  readonly onIdleError: (error: Error, host: string) => void;
}

const KEYS = new Set([
  'connectionString',
  'host',
  'port',
  'user',
  'password',
  'database',
  'minSize',
  'maxSize',
  'acquireTimeoutMs',
  'idleTimeoutMs',
  'maxUses',
  'maxLifetimeMs',
  'prePingIdleMs',
  'statementTimeoutMs',
  'queryTimeoutMs',
  'ssl',
  'prepare',
  'preparedCacheSize',
  'onConnect',
  'onIdleError',
]);

const MINIMUMS = {
  minSize: 0,
  maxSize: 1,
  acquireTimeoutMs: 0,
  idleTimeoutMs: 0,
  maxUses: 1,
  maxLifetimeMs: 1,
  statementTimeoutMs: 1,
  queryTimeoutMs: 1,
  preparedCacheSize: 1,
} as const;

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
  rejectUnknownKeys('MysqlPool', options, KEYS);
  checkMinimums('MysqlPool', options, MINIMUMS);
  const filled = backfillFromDsn({ ...options, dsn: options.connectionString });
  const { password, dsn: _dsn, hosts: _hosts, params: _params, ...rest } = filled;
  const resolved = {
    ...rest,
    minSize: options.minSize ?? POOL_DEFAULTS.minSize,
    maxSize: options.maxSize ?? POOL_DEFAULTS.maxSize,
    acquireTimeoutMs: options.acquireTimeoutMs ?? POOL_DEFAULTS.acquireTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
    prePingIdleMs: options.prePingIdleMs ?? POOL_DEFAULTS.prePingIdleMs,
    prepare: options.prepare ?? POOL_DEFAULTS.prepare,
    preparedCacheSize: options.preparedCacheSize ?? POOL_DEFAULTS.preparedCacheSize,
    onIdleError: options.onIdleError ?? warnIdleError,
  };
  if (password !== undefined) {
    Object.defineProperty(resolved, 'password', { value: password, enumerable: false });
  }
  return Object.freeze(resolved) as ResolvedMysqlPoolOptions;
}

/** `host:port` of the server, for messages (never credentials). */
export function mysqlAddress(options: ResolvedMysqlPoolOptions): string {
  return `${options.host ?? 'localhost'}:${options.port ?? 3306}`;
}
