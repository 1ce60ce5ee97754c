import type { LibrettoError } from '../errors/libretto-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { SqlRendering } from './sql.js';

/** An isolation level as `TransactionOptions.isolation` names it. */
export type IsolationName = keyof typeof ISOLATION_SQL;

/** What opens a transaction (`TransactionOptions` without the retries). */
export interface BeginOptions {
  readonly isolation?: IsolationName;
  readonly readOnly?: boolean;
}

/**
 * What differs between the SQL engines a `Database` runs on (PostgreSQL, MySQL/MariaDB): how
 * a statement names its values and identifiers, how a transaction begins, and what a driver
 * error means. A pool says its engine (`ConnectionPool.engine`); `Database` reads it once.
 */
export interface DatabaseEngine extends SqlRendering {
  /** `postgres` or `mysql`, for messages and dialect choices. */
  readonly name: 'postgres' | 'mysql';
  /** The placeholder of the `index`-th value (1-based): `$1` on PostgreSQL, `?` on MySQL. */
  placeholder(index: number): string;
  /** One validated identifier part quoted: `"name"` on PostgreSQL, `` `name` `` on MySQL. */
  quoteIdentifier(part: string): string;
  /**
   * The statements that open a transaction for `options` (`isolation` unset takes
   * `defaultIsolation`), run one after another. The same array for the same options.
   */
  beginStatements(options: BeginOptions, defaultIsolation?: IsolationName): readonly string[];
  /** The Libretto error for a driver error of a statement described by `describe`. */
  mapError(error: unknown, describe: string): LibrettoError;
  /** Whether re-running the whole transaction may succeed (serialization failure, deadlock). */
  isRetryable(error: unknown): boolean;
  /** Whether the connection the error came from must be closed rather than reused. */
  mustDiscard(error: unknown): boolean;
}

/** The isolation levels `TransactionOptions.isolation` names, as SQL spells them. */
export const ISOLATION_SQL = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
} as const;

/** The SQL of `isolation`, or UsageError `UNKNOWN_ISOLATION_LEVEL`. */
export function isolationSql(isolation: string): string {
  const level = ISOLATION_SQL[isolation as keyof typeof ISOLATION_SQL];
  if (level === undefined) {
    throw new UsageError(`Unknown isolation level: ${String(isolation)}`, {
      code: 'UNKNOWN_ISOLATION_LEVEL',
      details: [{ path: 'isolation', message: `one of ${Object.keys(ISOLATION_SQL).join(', ')}` }],
    });
  }
  return level;
}

/**
 * The begin statements of an engine, built once per combination of isolation and read-only
 * (eight at most), so that opening a transaction allocates nothing.
 */
export function beginStatementCache(
  build: (level: string | undefined, readOnly: boolean) => readonly string[],
): DatabaseEngine['beginStatements'] {
  // Keyed by isolation (undefined included), one map per read-only flag: no key to build.
  const readWrite = new Map<string | undefined, readonly string[]>();
  const readOnlyCache = new Map<string | undefined, readonly string[]>();
  return (options, defaultIsolation) => {
    const isolation = options.isolation ?? defaultIsolation;
    const readOnly = options.readOnly === true;
    const cache = readOnly ? readOnlyCache : readWrite;
    let statements = cache.get(isolation);
    if (statements === undefined) {
      const level = isolation === undefined ? undefined : isolationSql(isolation);
      statements = Object.freeze([...build(level, readOnly)]);
      cache.set(isolation, statements);
    }
    return statements;
  };
}
