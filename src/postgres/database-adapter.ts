import type { Row } from './connection-pool.js';
import type { SqlStatement } from './sql.js';

/** A statement: the `sql` tag, or text with `$n` placeholders plus its values. */
export type Query = string | SqlStatement;

/** How a transaction runs. */
export interface TransactionOptions {
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readonly readOnly?: boolean;
  /**
   * Times the whole transaction is run again after a serialization failure (40001) or a
   * deadlock (40P01), with jittered exponential backoff. Default 3; then ConflictError.
   */
  readonly retries?: number;
}

/**
 * Database access, provided at APP scope. Every call joins the ambient
 * transaction when one is open (see `transactional`); otherwise it runs on a connection of
 * its own. Values are always parameters.
 */
export interface DatabaseAdapter {
  /** All rows. */
  fetch<R = Row>(query: Query, values?: readonly unknown[]): Promise<R[]>;
  /** The first row, or undefined. */
  fetchOne<R = Row>(query: Query, values?: readonly unknown[]): Promise<R | undefined>;
  /** The first column of the first row, or undefined. */
  fetchVal<V = unknown>(query: Query, values?: readonly unknown[]): Promise<V | undefined>;
  /** Runs a statement; returns the rows it affected. */
  execute(query: Query, values?: readonly unknown[]): Promise<number>;
  /** Runs one statement per set of values, in one transaction; returns the rows affected. */
  executeMany(query: string, rows: readonly (readonly unknown[])[]): Promise<number>;
  /** Rows in batches through a server-side cursor, fetched as the consumer asks. */
  stream<R = Row>(
    query: Query,
    values?: readonly unknown[],
    options?: { readonly batchSize?: number },
  ): AsyncIterable<R>;
  /** Runs `fn` in a transaction (a savepoint inside another); commits, or rolls back on throw. */
  transaction<T>(fn: (tx: DatabaseAdapter) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/**
 * A unit of work's explicit transaction, provided at REQUEST scope: `start`,
 * then any calls, then `commit` or `rollback`. A scope closed with the transaction still
 * open rolls it back.
 */
export interface TransactionDatabaseAdapter extends DatabaseAdapter {
  start(options?: Omit<TransactionOptions, 'retries'>): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Whether `start` was called and neither `commit` nor `rollback` yet. */
  readonly active: boolean;
}
