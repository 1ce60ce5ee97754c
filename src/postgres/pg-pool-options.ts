import { parseDsn } from '../config/dsn.js';
import { checkMinimums, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { PooledConnection } from './connection-pool.js';
import type { PgPoolConfig } from './pg-types.js';
import { POOL_DEFAULTS } from './pool-defaults.js';

/**
 * Settings of a {@link PgPool}. Durations in milliseconds; every default is in
 * `POOL_DEFAULTS` (pool of 0–10, 5 s acquire timeout, 300 s idle timeout, pre-ping after 1 s
 * idle, 100 prepared statements per connection).
 */
export interface PgPoolOptions {
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly minSize?: number;
  readonly maxSize?: number;
  /** How long `acquire` waits for a free connection before failing. */
  readonly acquireTimeoutMs?: number;
  /** Idle connections above `minSize` close after this long. */
  readonly idleTimeoutMs?: number;
  /** A connection is replaced after this many uses (`max_queries`). */
  readonly maxUses?: number;
  /** A connection is replaced after this age. */
  readonly maxLifetimeMs?: number;
  /** Checks a connection idle for longer than this before handing it out (0 = always, false = never). */
  readonly prePingIdleMs?: number | false;
  /** Server-side statement timeout. */
  readonly statementTimeoutMs?: number;
  /**
   * Client-side limit on waiting for a statement's answer (a frozen host or a silent
   * partition sends nothing back); the connection is then closed, not reused.
   */
  readonly queryTimeoutMs?: number;
  /** TLS: false, or node's TLS options (from `sslmode`). */
  readonly ssl?: false | { readonly rejectUnauthorized: boolean };
  /** Shown in `pg_stat_activity`. */
  readonly applicationName?: string;
  /** Runs named prepared statements for repeated statements (off for PgBouncer in transaction mode). */
  readonly prepare?: boolean;
  /** Prepared statements kept per connection. */
  readonly preparedCacheSize?: number;
  /** Runs once on every new connection before its first use (type parsers, `search_path`). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
  /**
   * An idle connection failed (its server went away or closed it); the pool has dropped it.
   * Default: a process warning (`LIBRETTO_POSTGRES_IDLE_ERROR`) naming the host.
   */
  readonly onIdleError?: (error: Error, host: string) => void;
}

/** {@link PgPoolOptions} with every default applied: what a `PgPool` runs with. */
export interface ResolvedPgPoolOptions
  extends Omit<
    PgPoolOptions,
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
  'applicationName',
  'prepare',
  'preparedCacheSize',
  'onConnect',
  'onIdleError',
]);

/** Numeric options and the least value each accepts. */
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

/** Reports an idle connection's failure when nobody listens: never dropped silently. */
function warnIdleError(error: Error, host: string): void {
  process.emitWarning(`An idle database connection to ${host} failed: ${error.message}`, {
    code: 'LIBRETTO_POSTGRES_IDLE_ERROR',
  });
}

/**
 * Checks `options` and applies the defaults; the password is not enumerable, so logging or
 * spreading the result never shows it.
 */
export function resolvePgPoolOptions(options: PgPoolOptions): ResolvedPgPoolOptions {
  rejectUnknownKeys('PgPool', options, KEYS);
  checkMinimums('PgPool', options, MINIMUMS);
  const { password, ...rest } = options;
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
  return Object.freeze(resolved) as ResolvedPgPoolOptions;
}

/** `host:port` of the server the options point at, for messages (never credentials). */
export function addressOf(options: PgPoolOptions): string {
  let host = options.host;
  let port = options.port;
  if (options.connectionString !== undefined && (host === undefined || port === undefined)) {
    try {
      const dsn = parseDsn(options.connectionString);
      host ??= dsn.host;
      port ??= dsn.port;
    } catch {
      // pg reads connection strings it accepts; the address is only a label.
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}`;
}

/** The `pg.Pool` settings for resolved options. */
export function poolConfig(o: ResolvedPgPoolOptions): PgPoolConfig {
  return {
    ...(o.connectionString === undefined ? {} : { connectionString: o.connectionString }),
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.user === undefined ? {} : { user: o.user }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.database === undefined ? {} : { database: o.database }),
    ...(o.ssl === undefined ? {} : { ssl: o.ssl === false ? false : { ...o.ssl } }),
    ...(o.applicationName === undefined ? {} : { application_name: o.applicationName }),
    min: o.minSize,
    max: o.maxSize,
    idleTimeoutMillis: o.idleTimeoutMs,
    ...(o.maxUses === undefined ? {} : { maxUses: o.maxUses }),
    ...(o.maxLifetimeMs === undefined
      ? {}
      : { maxLifetimeSeconds: Math.max(1, Math.round(o.maxLifetimeMs / 1000)) }),
    ...(o.statementTimeoutMs === undefined ? {} : { statement_timeout: o.statementTimeoutMs }),
  };
}
