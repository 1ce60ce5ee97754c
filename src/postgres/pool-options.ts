import { checkMinimums, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { PooledConnection } from './connection-pool.js';
import { POOL_DEFAULTS } from './pool-defaults.js';

/**
 * What every server pool takes (`PgPool`, `MysqlPool`). Durations in milliseconds; every
 * default is in `POOL_DEFAULTS` (pool of 0–10, 5 s acquire timeout, 300 s idle timeout,
 * pre-ping after 1 s idle, 100 prepared statements per connection).
 */
export interface PoolOptions {
  /** The server's URL (`postgresql://…`, `mysql://…`); explicit fields win over its parts. */
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
  /** A connection is replaced after this many uses (`max_queries`). */
  readonly maxUses?: number;
  /** A connection is replaced after this age. */
  readonly maxLifetimeMs?: number;
  /** Checks a connection idle for longer than this before handing it out (0 = always, false = never). */
  readonly prePingIdleMs?: number | false;
  /**
   * Server-side statement limit (PostgreSQL `statement_timeout`, MariaDB
   * `max_statement_time`, MySQL `max_execution_time`).
   */
  readonly statementTimeoutMs?: number;
  /**
   * Client-side limit on waiting for a statement's answer (a frozen host or a silent
   * partition sends nothing back); the connection is then closed, not reused.
   */
  readonly queryTimeoutMs?: number;
  /** TLS: false, or node's TLS options. */
  readonly ssl?: false | { readonly rejectUnauthorized: boolean };
  /** Server-side prepared statements for repeated statements (off for PgBouncer in transaction mode). */
  readonly prepare?: boolean;
  /** Prepared statements kept per connection (least recently used closed on the server). */
  readonly preparedCacheSize?: number;
  /** Runs once on every new connection before its first use (session settings). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
  /**
   * An idle connection failed (its server went away or closed it); the pool has dropped it.
   * Default: a process warning naming the host.
   */
  readonly onIdleError?: (error: Error, host: string) => void;
}

/** The options of {@link PoolOptions} that always have a value once resolved. */
export interface ResolvedPoolFields {
  readonly minSize: number;
  readonly maxSize: number;
  readonly acquireTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly prePingIdleMs: number | false;
  readonly prepare: boolean;
  readonly preparedCacheSize: number;
  readonly onIdleError: (error: Error, host: string) => void;
}

/** `O` with every default applied. */
export type Resolved<O extends PoolOptions> = Omit<O, keyof ResolvedPoolFields> &
  ResolvedPoolFields;

const KEYS: readonly string[] = [
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
];

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

/**
 * Checks `options` (unknown keys and values below their minimum are a `UsageError` naming
 * `where` and the option; `extraKeys` are a pool's own) and applies the defaults; the
 * password is not enumerable, so logging or spreading the result never shows it.
 */
export function resolvePoolOptions<O extends PoolOptions>(
  where: string,
  options: O,
  extraKeys: readonly string[],
  warnIdleError: (error: Error, host: string) => void,
): Resolved<O> {
  rejectUnknownKeys(where, options, new Set([...KEYS, ...extraKeys]));
  checkMinimums(where, options, MINIMUMS);
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
  return Object.freeze(resolved) as unknown as Resolved<O>;
}
