import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import { InvalidOperationError } from '../errors/application-errors.js';
import { ConflictError } from '../errors/domain-errors.js';
import { LibrettoError } from '../errors/libretto-error.js';
import { type AmbientTransaction, ambientTransaction } from './ambient-transaction.js';
import type {
  ConnectionPool,
  PooledConnection,
  QueryOptions,
  Row,
  StatementResult,
} from './connection-pool.js';
import type { DatabaseAdapter, Query, TransactionOptions } from './database-adapter.js';
import { isRetryable, mapDatabaseError, mustDiscard, statementName } from './error-mapping.js';
import { readYourWritesScope } from './read-your-writes.js';
import { toQuery } from './sql.js';

/** Logging of a {@link Database} (SPEC PG-9). */
export interface DatabaseOptions {
  readonly logger?: Logger;
  /** One `debug` line per statement. Default false. */
  readonly logStatements?: boolean;
  /** Include parameter values in those lines. Default false: only their count. */
  readonly logParameters?: boolean;
  /**
   * Calls outside a transaction read from replicas where the backend has them (HA); see
   * {@link Database.replica}. Default false.
   */
  readonly readFromReplicas?: boolean;
}

const READ_ONLY: QueryOptions = { readOnly: true };

const ISOLATION = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
} as const;

/** The BEGIN statement for `options`. */
export function beginStatement(options: TransactionOptions = {}): string {
  let text = 'BEGIN';
  if (options.isolation !== undefined) {
    const level = ISOLATION[options.isolation];
    if (level === undefined)
      throw new InvalidOperationError(`Unknown isolation level: ${String(options.isolation)}`);
    text += ` ISOLATION LEVEL ${level}`;
  }
  if (options.readOnly === true) text += ' READ ONLY';
  return text;
}

/**
 * The database adapter over a connection pool: runs each call in the ambient transaction
 * when there is one on this pool, else on a connection of its own; maps driver errors to
 * Libretto errors (PG-8); logs statements without values unless asked (PG-9).
 */
export class Database implements DatabaseAdapter {
  #replica: Database | undefined;

  constructor(
    readonly pool: ConnectionPool,
    private readonly options: DatabaseOptions = {},
  ) {}

  /**
   * This database with reads on replicas (HA backend; the same server on a single node):
   * calls outside a transaction go to a replica, unless the current `readYourWrites()` has
   * already used the master (read-your-writes). Inside a transaction, the transaction's
   * connection, on the master.
   */
  replica(): Database {
    if (this.options.readFromReplicas === true) return this;
    this.#replica ??= new Database(this.pool, { ...this.options, readFromReplicas: true });
    return this.#replica;
  }

  /** Where a call outside a transaction runs; records a master call in the unit of work. */
  #route(): QueryOptions | undefined {
    const unit = readYourWritesScope.getStore();
    if (this.options.readFromReplicas !== true) {
      if (unit !== undefined) unit.wrote = true;
      return undefined;
    }
    return unit?.wrote === true ? undefined : READ_ONLY;
  }

  fetch<R = Row>(query: Query, values?: readonly unknown[]): Promise<R[]> {
    return this.#run<R, R[]>(query, values, rowsOf);
  }

  fetchOne<R = Row>(query: Query, values?: readonly unknown[]): Promise<R | undefined> {
    return this.#run<R, R | undefined>(query, values, firstRow);
  }

  async fetchVal<V = unknown>(query: Query, values?: readonly unknown[]): Promise<V | undefined> {
    const row = await this.#run<Row, Row | undefined>(query, values, firstRow);
    return row === undefined ? undefined : (Object.values(row)[0] as V);
  }

  execute(query: Query, values?: readonly unknown[]): Promise<number> {
    return this.#run(query, values, rowCountOf);
  }

  async executeMany(query: string, rows: readonly (readonly unknown[])[]): Promise<number> {
    return this.transaction(async () => {
      let total = 0;
      for (const values of rows) total += await this.#run(query, values, rowCountOf);
      return total;
    });
  }

  async *stream<R = Row>(
    query: Query,
    values?: readonly unknown[],
    options: { readonly batchSize?: number } = {},
  ): AsyncIterable<R> {
    const batch = options.batchSize ?? 500;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new InvalidOperationError('stream: batchSize must be a positive integer');
    }
    const { text, values: params } = toQuery(query, values);
    const current = this.#current();
    // A cursor lives in a transaction: the ambient one, or one of its own.
    const own = current === undefined ? await this.#begin({}) : undefined;
    const tx = (current ?? own) as AmbientTransaction;
    const cursor = `lb_cursor_${++tx.state.cursors}`;
    let failure: unknown;
    try {
      await this.#exec(
        tx.connection,
        `DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`,
        params,
        text,
        tx,
      );
      for (;;) {
        const { rows } = await this.#exec<R>(
          tx.connection,
          `FETCH ${batch} FROM ${cursor}`,
          [],
          text,
          tx,
        );
        for (const row of rows) yield row;
        if (rows.length < batch) break;
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (own !== undefined) {
        // Also when the consumer stopped early (return()): the transaction ends either way.
        await this.#end(own, failure === undefined ? 'COMMIT' : 'ROLLBACK', failure);
      } else if (failure === undefined) {
        await this.#exec(tx.connection, `CLOSE ${cursor}`, [], text).catch(() => undefined);
      }
    }
  }

  transaction<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const current = this.#current();
    return current === undefined ? this.#outermost(fn, options) : this.#savepoint(current, fn);
  }

  async #outermost<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
  ): Promise<T> {
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const tx = await this.#begin(options);
      let result: T;
      try {
        result = await ambientTransaction.run(tx, () => fn(this));
      } catch (error) {
        await this.#end(tx, 'ROLLBACK', error);
        if (isRetryable(error) && attempt < retries) {
          await backoff(attempt);
          continue;
        }
        throw isRetryable(error) ? lastConflict(error, attempt) : error;
      }
      try {
        await this.#end(tx, 'COMMIT', undefined);
      } catch (error) {
        // A serializable transaction can fail at commit too.
        if (isRetryable(error) && attempt < retries) {
          await backoff(attempt);
          continue;
        }
        throw isRetryable(error) ? lastConflict(error, attempt) : error;
      }
      return result;
    }
  }

  async #savepoint<T>(tx: AmbientTransaction, fn: (tx: DatabaseAdapter) => Promise<T>): Promise<T> {
    if (tx.childOpen) {
      throw new InvalidOperationError(
        'Nested transactions of one transaction share its connection: run them one after another, not concurrently',
      );
    }
    tx.childOpen = true;
    const name = `lb_sp_${++tx.state.savepoints}`;
    const failureBefore = tx.state.failure;
    try {
      await this.#exec(tx.connection, `SAVEPOINT ${name}`, [], 'SAVEPOINT', tx);
      const child: AmbientTransaction = { ...tx, childOpen: false };
      let result: T;
      try {
        result = await ambientTransaction.run(child, () => fn(this));
      } catch (error) {
        await this.#exec(
          tx.connection,
          `ROLLBACK TO SAVEPOINT ${name}`,
          [],
          'ROLLBACK TO SAVEPOINT',
          tx,
        )
          .then(() => {
            // Rolled back to before the failure: the transaction can go on and commit.
            tx.state.failure = failureBefore;
          })
          .catch(() => undefined);
        throw error;
      }
      await this.#exec(tx.connection, `RELEASE SAVEPOINT ${name}`, [], 'RELEASE SAVEPOINT', tx);
      return result;
    } finally {
      tx.childOpen = false;
    }
  }

  /** @internal For `RequestTransaction`: checks out a connection and opens a transaction. */
  begin(options: TransactionOptions = {}): Promise<AmbientTransaction> {
    return this.#begin(options);
  }

  /** @internal For `RequestTransaction`: commits or rolls back and returns the connection. */
  end(tx: AmbientTransaction, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    return this.#end(tx, how, undefined);
  }

  async #begin(options: TransactionOptions): Promise<AmbientTransaction> {
    // A transaction runs wholly on the master (read-your-writes), and counts as using it.
    const unit = readYourWritesScope.getStore();
    if (unit !== undefined) unit.wrote = true;
    const connection = await this.pool.acquire();
    try {
      await this.#exec(connection, beginStatement(options), [], 'BEGIN');
    } catch (error) {
      connection.release(mustDiscard((error as LibrettoError).cause ?? error));
      throw error;
    }
    return {
      pool: this.pool,
      database: this,
      connection,
      state: { savepoints: 0, cursors: 0, closed: false, failure: undefined },
      childOpen: false,
    };
  }

  async #end(tx: AmbientTransaction, how: 'COMMIT' | 'ROLLBACK', failure: unknown): Promise<void> {
    tx.state.closed = true;
    // A failed statement whose error was caught: the server would turn COMMIT into ROLLBACK.
    const aborted = how === 'COMMIT' && tx.state.failure !== undefined;
    let broken = failure !== undefined && mustDiscard((failure as LibrettoError).cause ?? failure);
    try {
      await this.#exec(tx.connection, aborted ? 'ROLLBACK' : how, [], how);
    } catch (error) {
      broken ||= mustDiscard((error as LibrettoError).cause ?? error);
      if (how === 'COMMIT') throw error;
      // A failed ROLLBACK: the connection is in an unknown state, never reuse it.
      broken = true;
    } finally {
      tx.connection.release(broken);
    }
    if (aborted) {
      throw new InvalidOperationError(
        'The transaction was rolled back: a statement in it failed and its error was caught (use a nested transaction to recover from a failure)',
        { cause: tx.state.failure },
      );
    }
  }

  /** The open transaction of this pool in the current async context, if any. */
  #current(): AmbientTransaction | undefined {
    const tx = ambientTransaction.getStore();
    if (tx === undefined || tx.pool !== this.pool) return undefined;
    if (tx.state.closed) {
      // Work started inside a transaction that outlived it (a timer, a promise not awaited).
      throw new InvalidOperationError(
        'This code runs in a transaction that has ended: await database work inside transactional()',
      );
    }
    return tx;
  }

  /** One statement, in the ambient transaction or on a connection of its own; `pick` shapes the result. */
  #run<R, T>(
    query: Query,
    values: readonly unknown[] | undefined,
    pick: (result: StatementResult<R>) => T,
  ): Promise<T> {
    let text: string;
    let params: readonly unknown[];
    let tx: AmbientTransaction | undefined;
    try {
      ({ text, values: params } = toQuery(query, values));
      tx = this.#current();
    } catch (error) {
      return Promise.reject(error);
    }
    if (tx !== undefined) return this.#exec<R>(tx.connection, text, params, text, tx).then(pick);
    const pool = this.pool;
    const route = this.#route();
    if (pool.query === undefined) return this.#runAcquired<R>(text, params, route).then(pick);
    if (this.options.logStatements !== true) {
      // The hot path: one promise from the pool, one reaction.
      return pool.query<R>(text, params, route).then(pick, (error: unknown) => {
        throw toLibrettoError(error, text);
      });
    }
    return this.#logged(
      () => (pool.query as NonNullable<ConnectionPool['query']>)<R>(text, params, route),
      text,
      params,
      text,
    ).then(pick);
  }

  async #runAcquired<R>(
    text: string,
    params: readonly unknown[],
    route: QueryOptions | undefined,
  ): Promise<StatementResult<R>> {
    const connection = await this.pool.acquire(route);
    let broken = false;
    try {
      return await this.#exec<R>(connection, text, params, text);
    } catch (error) {
      broken = mustDiscard((error as LibrettoError).cause ?? error);
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  /** @internal Runs one statement on `connection`, logged and with errors mapped. */
  #exec<R>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[],
    describe: string,
    tx?: AmbientTransaction,
  ): Promise<StatementResult<R>> {
    const run = this.#logged(() => connection.query<R>(text, values), text, values, describe);
    if (tx === undefined) return run;
    return run.catch((error: unknown) => {
      tx.state.failure ??= error;
      throw error;
    });
  }

  /** Runs `call`, mapping its errors (PG-8) and logging the statement when enabled (PG-9). */
  #logged<R>(
    call: () => Promise<StatementResult<R>>,
    text: string,
    values: readonly unknown[],
    describe: string,
  ): Promise<StatementResult<R>> {
    const mapError = (error: unknown): never => {
      throw toLibrettoError(error, describe);
    };
    const log = this.options.logStatements === true ? this.options.logger : undefined;
    if (log === undefined) return call().then(undefined, mapError);
    const started = performance.now();
    const done = () =>
      log.debug(
        {
          statement: statementName(describe),
          sql: text,
          params: this.options.logParameters === true ? values : `${values.length} hidden`,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'sql',
      );
    return call().then(
      (result) => {
        done();
        return result;
      },
      (error: unknown) => {
        done();
        return mapError(error);
      },
    );
  }
}

const rowsOf = <R>(result: StatementResult<R>): R[] => result.rows;
const firstRow = <R>(result: StatementResult<R>): R | undefined => result.rows[0];
const rowCountOf = (result: StatementResult<unknown>): number => result.rowCount;

function toLibrettoError(error: unknown, describe: string): LibrettoError {
  return error instanceof LibrettoError ? error : mapDatabaseError(error, describe);
}

/** Full-jitter exponential backoff: up to 5 ms, 10 ms, 20 ms, … capped at 250 ms. */
function backoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(250, 5 * 2 ** attempt));
}

function lastConflict(error: unknown, attempt: number): ConflictError {
  if (error instanceof ConflictError) {
    return new ConflictError(`${error.message} (after ${attempt + 1} attempts)`, {
      details: error.details,
      cause: error.cause,
    });
  }
  return new ConflictError(`Transaction conflict (after ${attempt + 1} attempts)`, {
    cause: error,
  });
}
