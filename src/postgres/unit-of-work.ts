import { AsyncLocalStorage } from 'node:async_hooks';

/** What a unit of work remembers: whether it has used the master. */
interface UnitOfWork {
  wrote: boolean;
}

/** @internal */
export const currentUnitOfWork = new AsyncLocalStorage<UnitOfWork>();

/**
 * Runs `fn` as one unit of work for read-your-writes (SPEC HA-12): once it has run a
 * statement on the master (any call through a `Database` that is not a `replica()` view, or a
 * transaction), its replica reads go to the master too, so it sees its own writes. Outside a
 * unit of work replica reads are eventually consistent.
 */
export function unitOfWork<T>(fn: () => T): T {
  return currentUnitOfWork.run({ wrote: false }, fn);
}
