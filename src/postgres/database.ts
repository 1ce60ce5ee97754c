import { setProviderHint } from '../di/provider-hint.js';
import { UsageError } from '../errors/usage-error.js';
import { type AmbientTransaction, ambientTransaction } from './ambient-transaction.js';
import type {
  ConnectionPool,
  NotificationListener,
  QueryOptions,
  Row,
  StatementResult,
} from './connection-pool.js';
import type { DatabaseAdapter, Query, TransactionOptions } from './database-adapter.js';
import type { DatabaseEngine } from './database-engine.js';
import { postgresEngine } from './postgres-engine.js';
import { readYourWritesScope } from './read-your-writes.js';
import { RuntimePool } from './runtime-pool.js';
import { toQuery } from './sql.js';
import { type StatementLogOptions, StatementRunner, toLibrettoError } from './statement-runner.js';
import { TransactionRunner } from './transaction-runner.js';

/** Logging and routing of a {@link Database}. */
export interface DatabaseOptions extends StatementLogOptions {
  /**
   * Calls outside a transaction read from replicas where the backend has them (HA); see
   * {@link Database.replica}. Default false.
   */
  readonly readFromReplicas?: boolean;
  /**
   * Isolation of transactions that do not name one (`transactional()`, `transaction()`,
   * `RequestTransaction.start`). Default: none named, so the server's
   * `default_transaction_isolation` (read committed).
   */
  readonly isolation?: TransactionOptions['isolation'];
}

/** Rows per `FETCH` of `stream()` unless `batchSize` says otherwise. */
export const STREAM_BATCH_SIZE = 500;

const READ_ONLY: QueryOptions = { readOnly: true };
const NO_VALUES: readonly unknown[] = Object.freeze([]);

/**
 * The database adapter over a connection pool: runs each call in the ambient transaction
 * when there is one on this pool, else on a connection of its own; maps driver errors to
 * Libretto errors; logs statements without values unless asked. Any pool works: one that is
 * not a `RuntimePool` (the HA pool, one of your own) is wrapped in one, so use after close
 * and double releases are caught the same way for every backend.
 *
 * @example
 * const db = new Database(await PgPool.create({ connectionString }));
 * const user = await db.fetchOne(sql`SELECT * FROM account WHERE id = ${id}`);
 */
export class Database implements DatabaseAdapter {
  static {
    // A missing provider names what to register.
    setProviderHint(
      this,
      'PostgresService from libretto/postgres, or MysqlService from libretto/mysql',
    );
  }

  readonly #runtime: RuntimePool;
  /** Read once from the pool: how statements render and errors map, on every call. */
  readonly #engine: DatabaseEngine;
  readonly #statements: StatementRunner;
  readonly #transactions: TransactionRunner;
  #replica: Database | undefined;

  constructor(
    /** The pool as given. */
    readonly pool: ConnectionPool,
    private readonly options: DatabaseOptions = {},
  ) {
    this.#runtime = RuntimePool.over(pool);
    this.#engine = pool.engine ?? postgresEngine;
    this.#statements = new StatementRunner(options, this.#engine);
    this.#transactions = new TransactionRunner(
      this,
      this.#runtime,
      this.#statements,
      options.isolation,
    );
  }

  /**
   * This database with reads on replicas (HA backend; the same server on a single node):
   * calls outside a transaction go to a replica, unless the current `readYourWrites()` has
   * already used the master. Inside a transaction, the transaction's connection.
   */
  replica(): Database {
    if (this.options.readFromReplicas === true) return this;
    this.#replica ??= new Database(this.pool, { ...this.options, readFromReplicas: true });
    return this.#replica;
  }

  /** The SQL engine of the pool (PostgreSQL unless the pool names another). */
  get engine(): DatabaseEngine {
    return this.#engine;
  }

  /** Whether the backend can `listen` (pg, PGlite and HA can). */
  get canListen(): boolean {
    return typeof this.pool.listen === 'function';
  }

  /**
   * `LISTEN channel` on a connection of its own (on HA, the master's, following failovers):
   * `onNotify` gets each payload, and `''` after a lost listen was re-established. A pool
   * without `listen` throws UsageError `LISTEN_UNSUPPORTED`.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<NotificationListener> {
    const pool = this.pool;
    if (pool.listen === undefined) {
      return Promise.reject(
        new UsageError(`listen: the ${pool.kind} backend cannot LISTEN; poll instead`, {
          code: 'LISTEN_UNSUPPORTED',
        }),
      );
    }
    return pool.listen(channel, onNotify);
  }

  /** Closes the pool: later calls fail at once (`POOL_CLOSED`). */
  close(): Promise<void> {
    return this.#runtime.close();
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

  executeMany(query: string, rows: readonly (readonly unknown[])[]): Promise<number> {
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
    const batch = options.batchSize ?? STREAM_BATCH_SIZE;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new UsageError('stream: batchSize must be a positive integer', {
        code: 'INVALID_BATCH_SIZE',
        details: [{ path: 'batchSize', message: 'must be a positive integer' }],
      });
    }
    const { text, values: params } = toQuery(query, values, this.#engine);
    const current = this.#current();
    // A cursor lives in a transaction: the ambient one, or one of its own.
    const own = current === undefined ? await this.#transactions.begin({}) : undefined;
    const tx = (current ?? own) as AmbientTransaction;
    let failure: unknown;
    try {
      if (tx.connection.stream !== undefined) yield* this.#streamRows<R>(tx, text, params, batch);
      else yield* this.#cursorRows<R>(tx, text, params, batch, own === undefined);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (own !== undefined) {
        // Also when the consumer stopped early (return()): the transaction ends either way.
        const how = failure === undefined ? 'COMMIT' : 'ROLLBACK';
        await this.#transactions.end(own, how, failure);
      }
    }
  }

  /**
   * `stream` through a server-side cursor, `batch` rows per FETCH (PostgreSQL); `close`: the
   * transaction goes on after it (the ambient one), so the cursor is closed unless it failed.
   */
  async *#cursorRows<R>(
    tx: AmbientTransaction,
    text: string,
    params: readonly unknown[],
    batch: number,
    close: boolean,
  ): AsyncIterable<R> {
    const cursor = `lb_cursor_${++tx.state.cursors}`;
    const run = this.#statements;
    let failed = false;
    try {
      const declare = `DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`;
      await run.run(tx.connection, declare, params, text, tx.state);
      for (;;) {
        const fetch = `FETCH ${batch} FROM ${cursor}`;
        const { rows } = await run.run<R>(tx.connection, fetch, [], text, tx.state);
        for (const row of rows) yield row;
        if (rows.length < batch) break;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (close && !failed) {
        await run.run(tx.connection, `CLOSE ${cursor}`, [], text).catch(() => undefined);
      }
    }
  }

  /** `stream` through the connection's own row stream (MySQL: no server-side cursors). */
  async *#streamRows<R>(
    tx: AmbientTransaction,
    text: string,
    params: readonly unknown[],
    batch: number,
  ): AsyncIterable<R> {
    const rows = (tx.connection.stream as NonNullable<typeof tx.connection.stream>)<R>(
      text,
      params,
      batch,
    );
    try {
      for await (const row of rows) yield row;
    } catch (error) {
      const mapped = toLibrettoError(error, text, this.#engine);
      tx.state.failure ??= mapped;
      throw mapped;
    }
  }

  transaction<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    let current: AmbientTransaction | undefined;
    try {
      current = this.#current();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#transactions.run(fn, options, current);
  }

  /** @internal For `RequestTransaction`: checks out a connection and opens a transaction. */
  begin(options: TransactionOptions = {}): Promise<AmbientTransaction> {
    return this.#transactions.begin(options);
  }

  /** @internal For `RequestTransaction`: commits or rolls back and returns the connection. */
  end(tx: AmbientTransaction, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    return this.#transactions.end(tx, how, undefined);
  }

  /** The open transaction of this pool in the current async context, if any. */
  #current(): AmbientTransaction | undefined {
    const tx = ambientTransaction.getStore();
    if (tx === undefined || tx.pool !== this.#runtime) return undefined;
    if (tx.state.closed) {
      // Work started inside a transaction that outlived it (a timer, a promise not awaited).
      throw new UsageError(
        'This code runs in a transaction that has ended: await database work inside transactional()',
        { code: 'TRANSACTION_ENDED' },
      );
    }
    return tx;
  }

  /** Where a call outside a transaction runs; records a master call for read-your-writes. */
  #route(): QueryOptions | undefined {
    const unit = readYourWritesScope.getStore();
    if (this.options.readFromReplicas !== true) {
      if (unit !== undefined) unit.wrote = true;
      return undefined;
    }
    return unit?.wrote === true ? undefined : READ_ONLY;
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
      if (typeof query === 'string') {
        // Text and values as given: no object to build on the hot path.
        text = query;
        params = values ?? NO_VALUES;
      } else ({ text, values: params } = toQuery(query, values, this.#engine));
      tx = this.#current();
    } catch (error) {
      return Promise.reject(error);
    }
    const statements = this.#statements;
    if (tx !== undefined) {
      return statements.pick<R, T>(tx.connection, text, params, text, tx.state, pick);
    }
    const pool = this.#runtime;
    const route = this.#route();
    if (this.options.logStatements !== true) {
      // The hot path: one promise from the pool, one reaction.
      return pool.query<R>(text, params, route).then(pick, (error: unknown) => {
        throw toLibrettoError(error, text, this.#engine);
      });
    }
    return statements
      .logged(() => pool.query<R>(text, params, route), text, params, text)
      .then(pick);
  }
}

const rowsOf = <R>(result: StatementResult<R>): R[] => result.rows;
const firstRow = <R>(result: StatementResult<R>): R | undefined => result.rows[0];
const rowCountOf = (result: StatementResult<unknown>): number => result.rowCount;
