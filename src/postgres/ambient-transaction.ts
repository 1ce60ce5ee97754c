import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConnectionPool, PooledConnection } from './connection-pool.js';
import type { DatabaseAdapter } from './database-adapter.js';

/** What every level (the transaction and its savepoints) of one transaction shares. */
export interface TransactionState {
  /** Savepoints opened so far (names are unique per transaction). */
  savepoints: number;
  /** Cursors opened so far (names are unique per transaction). */
  cursors: number;
  /** Committed or rolled back: code still holding the context must not use it. */
  closed: boolean;
  /** A statement failed and no savepoint rollback undid it: COMMIT would silently roll back. */
  failure: unknown;
}

/** The transaction (or savepoint level) the current async context runs in. */
export interface AmbientTransaction {
  /** The pool the transaction's connection came from: a database joins only its own. */
  readonly pool: ConnectionPool;
  /** The adapter that opened it: nested `transactional()` calls use it. */
  readonly database: DatabaseAdapter;
  readonly connection: PooledConnection;
  readonly state: TransactionState;
  /** A nested transaction (savepoint) is running at this level. */
  childOpen: boolean;
}

/** @internal Shared by every adapter and repository of the process. */
export const ambientTransaction = new AsyncLocalStorage<AmbientTransaction>();
