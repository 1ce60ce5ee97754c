import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../errors/domain-errors.js';
import type { LibrettoError } from '../errors/libretto-error.js';
import { UsageError } from '../errors/usage-error.js';
import { type AmbientTransaction, ambientTransaction } from './ambient-transaction.js';
import type { PooledConnection } from './connection-pool.js';
import type { DatabaseAdapter, TransactionOptions } from './database-adapter.js';
import type { DatabaseEngine } from './database-engine.js';
import { readYourWritesScope } from './read-your-writes.js';
import type { RuntimePool } from './runtime-pool.js';
import type { StatementRunner } from './statement-runner.js';

/** Defaults of a transaction: 3 re-runs after a serialization failure or a deadlock. */
export const TRANSACTION_DEFAULTS = Object.freeze({ retries: 3 });

/**
 * Runs transactions for a `Database`: the outermost one on a connection of its own (BEGIN,
 * the function in the ambient context, COMMIT — or ROLLBACK on a throw), re-run after a
 * serialization failure or a deadlock with jittered backoff; nested ones in savepoints.
 */
export class TransactionRunner {
  /** The engine of `statements`: how a transaction begins, which failures retry or discard. */
  readonly #engine: DatabaseEngine;

  constructor(
    private readonly database: DatabaseAdapter,
    private readonly pool: RuntimePool,
    private readonly statements: StatementRunner,
    /** Isolation of transactions that do not name one (`isolation_level`); unset: the server's. */
    private readonly isolation?: TransactionOptions['isolation'],
  ) {
    this.#engine = statements.engine;
  }

  /** Runs `fn` in a new transaction, or in a savepoint of `current`. */
  run<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
    current: AmbientTransaction | undefined,
  ): Promise<T> {
    return current === undefined ? this.#outermost(fn, options, 0) : this.#savepoint(current, fn);
  }

  /**
   * One attempt, the next after a retryable failure. Driven by callbacks inside one promise:
   * per transaction, that promise and the function's own are the only ones (the path is
   * measured against BEGIN / statement / COMMIT written by hand on a `pg` client).
   */
  #outermost<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
    attempt: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const retry = (error: unknown) =>
        this.#retry(fn, options, attempt, error).then(resolve, reject);
      this.#begin(options, (error, tx) => {
        if (tx === undefined) {
          reject(error);
          return;
        }
        let work: Promise<T>;
        try {
          work = Promise.resolve(ambientTransaction.run(tx, fn, this.database));
        } catch (thrown) {
          work = Promise.reject(thrown);
        }
        work.then(
          (result) =>
            // A serializable transaction can fail at commit too.
            this.#end(tx, 'COMMIT', undefined, (failure) =>
              failure === undefined ? resolve(result) : retry(failure),
            ),
          (thrown: unknown) => this.#end(tx, 'ROLLBACK', thrown, () => retry(thrown)),
        );
      });
    });
  }

  async #retry<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
    attempt: number,
    error: unknown,
  ): Promise<T> {
    if (!this.#engine.isRetryable(error)) throw error;
    if (attempt >= (options.retries ?? TRANSACTION_DEFAULTS.retries)) {
      throw lastConflict(error, attempt);
    }
    await backoff(attempt);
    return this.#outermost(fn, options, attempt + 1);
  }

  async #savepoint<T>(tx: AmbientTransaction, fn: (tx: DatabaseAdapter) => Promise<T>): Promise<T> {
    if (tx.childOpen) {
      throw new UsageError(
        'Nested transactions of one transaction share its connection: run them one after another, not concurrently',
        { code: 'CONCURRENT_NESTED_TRANSACTIONS' },
      );
    }
    tx.childOpen = true;
    const name = `lb_sp_${++tx.state.savepoints}`;
    const failureBefore = tx.state.failure;
    const statements = this.statements;
    try {
      await statements.run(tx.connection, `SAVEPOINT ${name}`, [], 'SAVEPOINT', tx.state);
      const child: AmbientTransaction = { ...tx, childOpen: false };
      let result: T;
      try {
        result = await ambientTransaction.run(child, fn, this.database);
      } catch (error) {
        const rollback = `ROLLBACK TO SAVEPOINT ${name}`;
        await statements.run(tx.connection, rollback, [], 'ROLLBACK TO SAVEPOINT', tx.state).then(
          () => {
            // Rolled back to before the failure: the transaction can go on and commit.
            tx.state.failure = failureBefore;
          },
          () => undefined,
        );
        throw error;
      }
      const release = `RELEASE SAVEPOINT ${name}`;
      await statements.run(tx.connection, release, [], 'RELEASE SAVEPOINT', tx.state);
      return result;
    } finally {
      tx.childOpen = false;
    }
  }

  /** Checks out a connection and opens a transaction on it. */
  begin(options: TransactionOptions): Promise<AmbientTransaction> {
    return new Promise((resolve, reject) =>
      this.#begin(options, (error, tx) => (tx === undefined ? reject(error) : resolve(tx))),
    );
  }

  /**
   * Commits or rolls back and returns the connection (closed instead when it was lost or is
   * in an unknown state). A COMMIT after a failed statement whose error was caught rolls back
   * and fails with `TRANSACTION_ABORTED`, instead of reporting a success the server did not
   * give; a failed ROLLBACK is not reported (the connection is closed).
   */
  end(tx: AmbientTransaction, how: 'COMMIT' | 'ROLLBACK', failure: unknown): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#end(tx, how, failure, (error) => (error === undefined ? resolve() : reject(error))),
    );
  }

  #begin(
    options: TransactionOptions,
    callback: (error: unknown, tx?: AmbientTransaction) => void,
  ): void {
    let texts: readonly string[];
    const engine = this.#engine;
    try {
      texts = engine.beginStatements(options, this.isolation);
    } catch (error) {
      callback(error);
      return;
    }
    // A transaction runs wholly on the master (read-your-writes), and counts as using it.
    const unit = readYourWritesScope.getStore();
    if (unit !== undefined) unit.wrote = true;
    this.pool.connect(undefined, (error, acquired) => {
      if (error !== undefined) {
        callback(error);
        return;
      }
      const connection = acquired as PooledConnection;
      // One statement on PostgreSQL; MySQL sets the isolation first, then starts.
      let next = 0;
      const step = (failure: LibrettoError | undefined): void => {
        if (failure !== undefined) {
          connection.release(engine.mustDiscard(failure.cause ?? failure));
          callback(failure);
          return;
        }
        const text = texts[next++];
        if (text !== undefined) {
          this.statements.exec(connection, text, NO_VALUES, 'BEGIN', undefined, step);
          return;
        }
        callback(undefined, {
          pool: this.pool,
          database: this.database,
          connection,
          state: { savepoints: 0, cursors: 0, closed: false, failure: undefined },
          childOpen: false,
        });
      };
      step(undefined);
    });
  }

  #end(
    tx: AmbientTransaction,
    how: 'COMMIT' | 'ROLLBACK',
    failure: unknown,
    callback: (error: unknown) => void,
  ): void {
    const state = tx.state;
    state.closed = true;
    const aborted = how === 'COMMIT' && state.failure !== undefined;
    const engine = this.#engine;
    let broken =
      failure !== undefined && engine.mustDiscard((failure as LibrettoError).cause ?? failure);
    const text = aborted ? 'ROLLBACK' : how;
    this.statements.exec(tx.connection, text, NO_VALUES, how, undefined, (error) => {
      if (error !== undefined) {
        // A failed ROLLBACK leaves the connection in an unknown state: never reuse it.
        broken ||= how === 'ROLLBACK' || engine.mustDiscard(error.cause ?? error);
      }
      try {
        tx.connection.release(broken);
      } catch (misuse) {
        callback(misuse);
        return;
      }
      if (error !== undefined && how === 'COMMIT') callback(error);
      else if (aborted) {
        callback(
          new UsageError(
            'The transaction was rolled back: a statement in it failed and its error was caught (use a nested transaction to recover from a failure)',
            { code: 'TRANSACTION_ABORTED', cause: state.failure },
          ),
        );
      } else callback(undefined);
    });
  }
}

const NO_VALUES: readonly unknown[] = Object.freeze([]);

/** Full-jitter exponential backoff: up to 5 ms, 10 ms, 20 ms, … capped at 250 ms. */
function backoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(250, 5 * 2 ** attempt));
}

function lastConflict(error: unknown, attempt: number): ConflictError {
  if (error instanceof ConflictError) {
    return new ConflictError(`${error.message} (after ${attempt + 1} attempts)`, {
      code: error.code,
      details: error.details,
      cause: error.cause,
    });
  }
  return new ConflictError(`Transaction conflict (after ${attempt + 1} attempts)`, {
    cause: error,
  });
}
