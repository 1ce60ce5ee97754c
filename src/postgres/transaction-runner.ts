import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../errors/domain-errors.js';
import type { LibrettoError } from '../errors/libretto-error.js';
import { UsageError } from '../errors/usage-error.js';
import { type AmbientTransaction, ambientTransaction } from './ambient-transaction.js';
import type { PooledConnection } from './connection-pool.js';
import type { DatabaseAdapter, TransactionOptions } from './database-adapter.js';
import { isRetryable, mustDiscard } from './error-mapping.js';
import { readYourWritesScope } from './read-your-writes.js';
import type { RuntimePool } from './runtime-pool.js';
import type { StatementRunner } from './statement-runner.js';

/** Defaults of a transaction: 3 re-runs after a serialization failure or a deadlock. */
export const TRANSACTION_DEFAULTS = Object.freeze({ retries: 3 });

const ISOLATION = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
} as const;

/** The BEGIN statement for `options`. */
export function beginStatement(options: TransactionOptions): string {
  const isolation = options.isolation;
  const readOnly = options.readOnly === true;
  if (isolation === undefined) return readOnly ? 'BEGIN READ ONLY' : 'BEGIN';
  const level = ISOLATION[isolation];
  if (level === undefined) {
    throw new UsageError(`Unknown isolation level: ${String(isolation)}`, {
      code: 'UNKNOWN_ISOLATION_LEVEL',
      details: [{ path: 'isolation', message: `one of ${Object.keys(ISOLATION).join(', ')}` }],
    });
  }
  return `BEGIN ISOLATION LEVEL ${level}${readOnly ? ' READ ONLY' : ''}`;
}

/**
 * Runs transactions for a `Database`: the outermost one on a connection of its own (BEGIN,
 * the function in the ambient context, COMMIT — or ROLLBACK on a throw), re-run after a
 * serialization failure or a deadlock with jittered backoff; nested ones in savepoints.
 */
export class TransactionRunner {
  constructor(
    private readonly database: DatabaseAdapter,
    private readonly pool: RuntimePool,
    private readonly statements: StatementRunner,
  ) {}

  /** Runs `fn` in a new transaction, or in a savepoint of `current`. */
  run<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
    current: AmbientTransaction | undefined,
  ): Promise<T> {
    return current === undefined ? this.#outermost(fn, options, 0) : this.#savepoint(current, fn);
  }

  /** One attempt; the next one after a retryable failure, up to `retries`. */
  async #outermost<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
    attempt: number,
  ): Promise<T> {
    const tx = await this.begin(options);
    let result: T;
    try {
      result = await ambientTransaction.run(tx, fn, this.database);
    } catch (error) {
      await this.end(tx, 'ROLLBACK', error);
      return this.#retry(fn, options, attempt, error);
    }
    try {
      await this.end(tx, 'COMMIT', undefined);
    } catch (error) {
      // A serializable transaction can fail at commit too.
      return this.#retry(fn, options, attempt, error);
    }
    return result;
  }

  async #retry<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options: TransactionOptions,
    attempt: number,
    error: unknown,
  ): Promise<T> {
    if (!isRetryable(error)) throw error;
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

  /** Checks out a connection and opens a transaction on it (callbacks inside: one promise). */
  begin(options: TransactionOptions): Promise<AmbientTransaction> {
    let text: string;
    try {
      text = beginStatement(options);
    } catch (error) {
      return Promise.reject(error);
    }
    // A transaction runs wholly on the master (read-your-writes), and counts as using it.
    const unit = readYourWritesScope.getStore();
    if (unit !== undefined) unit.wrote = true;
    return new Promise((resolve, reject) =>
      this.pool.connect(undefined, (error, acquired) => {
        if (error !== undefined) {
          reject(error);
          return;
        }
        const connection = acquired as PooledConnection;
        this.statements.exec(connection, text, NO_VALUES, 'BEGIN', undefined, (failure) => {
          if (failure !== undefined) {
            connection.release(mustDiscard(failure.cause ?? failure));
            reject(failure);
            return;
          }
          resolve({
            pool: this.pool,
            database: this.database,
            connection,
            state: { savepoints: 0, cursors: 0, closed: false, failure: undefined },
            childOpen: false,
          });
        });
      }),
    );
  }

  /**
   * Commits or rolls back and returns the connection (closed instead when it was lost or is
   * in an unknown state). A COMMIT after a failed statement whose error was caught rolls back
   * and throws `TRANSACTION_ABORTED`, instead of reporting a success the server did not give.
   */
  end(tx: AmbientTransaction, how: 'COMMIT' | 'ROLLBACK', failure: unknown): Promise<void> {
    const state = tx.state;
    state.closed = true;
    const aborted = how === 'COMMIT' && state.failure !== undefined;
    let broken = failure !== undefined && mustDiscard((failure as LibrettoError).cause ?? failure);
    const text = aborted ? 'ROLLBACK' : how;
    return new Promise((resolve, reject) =>
      this.statements.exec(tx.connection, text, NO_VALUES, how, undefined, (error) => {
        if (error !== undefined) {
          // A failed ROLLBACK leaves the connection in an unknown state: never reuse it.
          broken ||= how === 'ROLLBACK' || mustDiscard(error.cause ?? error);
        }
        try {
          tx.connection.release(broken);
        } catch (misuse) {
          reject(misuse);
          return;
        }
        if (error !== undefined && how === 'COMMIT') reject(error);
        else if (aborted) {
          reject(
            new UsageError(
              'The transaction was rolled back: a statement in it failed and its error was caught (use a nested transaction to recover from a failure)',
              { code: 'TRANSACTION_ABORTED', cause: state.failure },
            ),
          );
        } else resolve();
      }),
    );
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
