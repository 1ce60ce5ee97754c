import { UsageError } from '../errors/usage-error.js';
import { ambientTransaction } from './ambient-transaction.js';
import type { Database } from './database.js';
import type { DatabaseAdapter, TransactionOptions } from './database-adapter.js';

let defaultDatabase: Database | undefined;

/** @internal Set by `PostgresService` or `MysqlService` while it runs: the database `transactional` uses. */
export function setDefaultDatabase(database: Database | undefined): void {
  defaultDatabase = database;
}

/** Options of {@link transactional}: a transaction's, plus which database. */
export interface TransactionalOptions extends TransactionOptions {
  /** Default: the one of the transaction already open, else the running service's (PostgresService, MysqlService). */
  readonly database?: Database;
}

/**
 * Runs `fn` in a transaction that every adapter (and repository) call inside joins, through
 * the async context — no connection to pass around. Nested calls run in savepoints and roll
 * back only their part. Serialization failures and deadlocks re-run the whole transaction
 * (`retries`, default 3), then raise ConflictError.
 *
 * @example
 * await transactional(async () => {
 *   await db.execute(sql`UPDATE account SET balance = balance - ${n} WHERE id = ${from}`);
 *   await db.execute(sql`UPDATE account SET balance = balance + ${n} WHERE id = ${to}`);
 * }, { isolation: 'serializable' });
 */
export function transactional<T>(
  fn: (tx: DatabaseAdapter) => Promise<T>,
  options: TransactionalOptions = {},
): Promise<T> {
  // `database` rides along in the options: the adapter ignores keys it does not know.
  const target = options.database ?? ambientTransaction.getStore()?.database ?? defaultDatabase;
  if (target !== undefined) return target.transaction(fn, options);
  return Promise.reject(
    new UsageError(
      'transactional: no database (start a PostgresService or a MysqlService, or pass { database })',
      { code: 'NO_DEFAULT_DATABASE' },
    ),
  );
}

/**
 * Optional method decorator (TypeScript 5 standard decorators): the method runs in
 * `transactional(…, options)`.
 *
 * @example
 * class Transfers {
 *   @Transactional({ isolation: 'serializable' })
 *   async move(from: string, to: string, amount: number) { … }
 * }
 */
export function Transactional(options: TransactionalOptions = {}) {
  return <This, Args extends unknown[], R>(
    method: (this: This, ...args: Args) => Promise<R>,
    _context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>,
  ) =>
    function (this: This, ...args: Args): Promise<R> {
      return transactional(() => method.apply(this, args), options);
    };
}
