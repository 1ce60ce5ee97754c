import type { DatabaseEngine } from './database-engine.js';

/** One row as the driver returns it. */
export type Row = Record<string, unknown>;

/** What a driver returns for one statement. */
export interface StatementResult<R = Row> {
  readonly rows: R[];
  /** Rows inserted, updated, deleted or returned (0 when the statement reports none). */
  readonly rowCount: number;
}

/**
 * A connection checked out of a driver: the seam between the adapters (which add
 * transactions, retries, error mapping, logging) and a backend (`pg`, PGlite, the HA pool).
 */
export interface PooledConnection {
  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>>;
  /**
   * Optional callback form of `query`, for the transaction path: no promise per statement.
   * `error` is undefined on success.
   */
  run?<R = Row>(text: string, values: readonly unknown[], callback: StatementCallback<R>): void;
  /**
   * Optional: the rows of one statement as the consumer takes them, read from the server with
   * backpressure (engines without server-side cursors: MySQL). Without it, `Database.stream`
   * declares a cursor and fetches `batchSize` rows at a time.
   */
  stream?<R = Row>(text: string, values: readonly unknown[], batchSize: number): AsyncIterable<R>;
  /** Returns the connection; `broken` closes it instead of reusing it. */
  release(broken?: boolean): void;
}

/** How a statement's outcome is reported by `PooledConnection.run`. */
export type StatementCallback<R = Row> = (error: unknown, result?: StatementResult<R>) => void;

/** Where a statement may run: `readOnly` ones may go to a replica (HA backend). */
export interface QueryOptions {
  readonly readOnly?: boolean;
}

/** A backend: hands out connections, at most one user at a time each. */
export interface ConnectionPool {
  /** `pg`, `pglite`, `ha` or `mysql`, for logs and health. */
  readonly kind: string;
  /** The SQL engine behind the pool; absent: PostgreSQL. */
  readonly engine?: DatabaseEngine | undefined;
  /** A connection, or DependencyUnavailableError after the acquire timeout. */
  acquire(options?: QueryOptions): Promise<PooledConnection>;
  /**
   * Optional fast path: one statement on a connection returned as soon as it answers
   * (used outside transactions). Without it, `acquire` + `query` + `release`.
   */
  query?<R = Row>(
    text: string,
    values: readonly unknown[],
    options?: QueryOptions,
  ): Promise<StatementResult<R>>;
  /**
   * Optional: `LISTEN channel` on a connection of its own, calling `onNotify` with each
   * notification's payload — and with `''` after the listen was lost and re-established,
   * since notifications sent meanwhile are gone. Resolves once listening.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<NotificationListener>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** A `LISTEN` held open by {@link ConnectionPool.listen}. */
export interface NotificationListener {
  /** Stops listening and closes its connection. Idempotent. */
  close(): Promise<void>;
}
