import { AsyncLocalStorage } from 'node:async_hooks';

/** What a read-your-writes scope remembers: whether it has used the master. */
interface ReadYourWritesState {
  wrote: boolean;
}

/** @internal Read by `Database` to route a call. */
export const readYourWritesScope = new AsyncLocalStorage<ReadYourWritesState>();

/**
 * Runs `fn` with read-your-writes routing: once it has run a statement on the master (any
 * call through a `Database` that is not a `replica()` view, or a transaction), its replica
 * reads go to the master too, so it sees its own writes. Outside it, replica reads are
 * eventually consistent.
 *
 * @example
 * await readYourWrites(async () => {
 *   await db.execute(sql`UPDATE account SET name = ${name} WHERE id = ${id}`);
 *   return db.replica().fetchOne(sql`SELECT * FROM account WHERE id = ${id}`); // the master
 * });
 */
export function readYourWrites<T>(fn: () => T): T {
  return readYourWritesScope.run({ wrote: false }, fn);
}
