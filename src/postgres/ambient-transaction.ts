import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from './database.js';
import type { Driver, DriverConnection } from './driver.js';

/** The transaction the current async context runs in. */
export interface AmbientTransaction {
  readonly driver: Driver;
  /** The adapter that opened it: nested `transactional()` calls use it. */
  readonly database: Database;
  readonly connection: DriverConnection;
  /** Savepoints opened so far in this transaction (names are unique per transaction). */
  savepoints: number;
  /** Cursors opened so far (names are unique per transaction). */
  cursors: number;
}

/** @internal Shared by every adapter and repository of the process. */
export const ambientTransaction = new AsyncLocalStorage<AmbientTransaction>();
