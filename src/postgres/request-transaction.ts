import { setProviderHint } from '../di/provider-hint.js';
import { UsageError } from '../errors/usage-error.js';
import { type AmbientTransaction, ambientTransaction } from './ambient-transaction.js';
import type { Row } from './connection-pool.js';
import type { Database } from './database.js';
import type {
  DatabaseAdapter,
  Query,
  TransactionDatabaseAdapter,
  TransactionOptions,
} from './database-adapter.js';

/**
 * The explicit transaction of one unit of work, provided at REQUEST scope as
 * `RequestTransaction`: `start()`, calls, `commit()` or `rollback()`. While started, its
 * calls — and any `transactional()` inside `transaction(fn)` — run on its connection; before
 * `start()` they run like the app-scoped `Database`. Closing the scope rolls back a
 * transaction left open.
 */
export class RequestTransaction implements TransactionDatabaseAdapter {
  static {
    // A missing provider names what to register.
    setProviderHint(
      this,
      'PostgresService from libretto/postgres, or MysqlService from libretto/mysql',
    );
  }

  #tx: AmbientTransaction | undefined;
  #starting = false;

  constructor(private readonly database: Database) {}

  get active(): boolean {
    return this.#tx !== undefined;
  }

  async start(options: Omit<TransactionOptions, 'retries'> = {}): Promise<void> {
    if (this.#tx !== undefined || this.#starting) {
      throw new UsageError('The transaction is already started', {
        code: 'TRANSACTION_ALREADY_STARTED',
      });
    }
    this.#starting = true;
    try {
      this.#tx = await this.database.begin(options);
    } finally {
      this.#starting = false;
    }
  }

  commit(): Promise<void> {
    return this.#finish('COMMIT');
  }

  rollback(): Promise<void> {
    return this.#finish('ROLLBACK');
  }

  fetch<R = Row>(query: Query, values?: readonly unknown[]): Promise<R[]> {
    return this.#within(() => this.database.fetch<R>(query, values));
  }

  fetchOne<R = Row>(query: Query, values?: readonly unknown[]): Promise<R | undefined> {
    return this.#within(() => this.database.fetchOne<R>(query, values));
  }

  fetchVal<V = unknown>(query: Query, values?: readonly unknown[]): Promise<V | undefined> {
    return this.#within(() => this.database.fetchVal<V>(query, values));
  }

  execute(query: Query, values?: readonly unknown[]): Promise<number> {
    return this.#within(() => this.database.execute(query, values));
  }

  executeMany(query: string, rows: readonly (readonly unknown[])[]): Promise<number> {
    return this.#within(() => this.database.executeMany(query, rows));
  }

  stream<R = Row>(
    query: Query,
    values?: readonly unknown[],
    options?: { readonly batchSize?: number },
  ): AsyncIterable<R> {
    const tx = this.#tx;
    const inner = this.database.stream<R>(query, values, options);
    if (tx === undefined) return inner;
    const iterator = inner[Symbol.asyncIterator]();
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => ambientTransaction.run(tx, () => iterator.next()),
        return: (value?: unknown) =>
          ambientTransaction.run(
            tx,
            () => iterator.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
          ),
      }),
    } as AsyncIterable<R>;
  }

  transaction<T>(
    fn: (tx: DatabaseAdapter) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    return this.#within(() => this.database.transaction(fn, options));
  }

  async #finish(how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const tx = this.#tx;
    if (tx === undefined)
      throw new UsageError(`Nothing to ${how.toLowerCase()}: start() first`, {
        code: 'TRANSACTION_NOT_STARTED',
      });
    this.#tx = undefined;
    await this.database.end(tx, how);
  }

  #within<T>(call: () => Promise<T>): Promise<T> {
    const tx = this.#tx;
    return tx === undefined ? call() : ambientTransaction.run(tx, call);
  }
}
