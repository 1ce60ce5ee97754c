import type { Logger } from '../core/logger.js';
import type { BackendEvent } from './backend-event.js';
import type { ConnectionPool, PooledConnection } from './connection-pool.js';
import type { BackendName } from './postgres-config.js';
import type { SettingsOf } from './postgres-settings.js';

/** What `PostgresService` gives a backend besides the settings. */
export interface BackendContext {
  /** Runs on every new server connection before its first use (`onConnect` of the service). */
  readonly onConnect: ((connection: PooledConnection) => Promise<void> | void) | undefined;
  /** An idle connection failed and was dropped; the service logs it as a warning. */
  readonly onIdleError: (error: Error, host: string) => void;
  /** The service's logger, for what the backend reports as it runs (HA: role changes). */
  readonly logger: Logger;
  /**
   * Hears what the backend reports as it runs (HA: role changes, split brains, fencing,
   * failed checks); the service logs each at `warn`, one line with the hosts.
   */
  readonly onEvent: (event: BackendEvent) => void;
}

/**
 * A database backend `PostgresService` can run: it turns the resolved settings of its
 * `name` into a connection pool. `pg` and `pglite` are built in; `haBackend` from
 * `libretto/postgres/ha` is passed explicitly, so `libretto/postgres` never loads the HA code:
 *
 * @example
 * import { haBackend } from 'libretto/postgres/ha';
 * new PostgresService({ backends: [haBackend] });
 */
export interface BackendOf<N extends BackendName> {
  /** The `backend:` value it serves. */
  readonly name: N;
  /** Opens the pool for `settings`. */
  open(settings: SettingsOf<N>, context: BackendContext): Promise<ConnectionPool>;
  /**
   * Resolves once the backend can serve (HA: enough masters and replicas), else rejects with
   * `DependencyUnavailableError` after `timeoutMs` (0: as things are now). Without it, the
   * service checks with `SELECT 1` only.
   */
  ready?(pool: ConnectionPool, settings: SettingsOf<N>, timeoutMs: number): Promise<void>;
}

/** A backend of one of the names, or (by default) of any: `PostgresBackend<'ha'>`. */
export type PostgresBackend<N extends BackendName = BackendName> = N extends BackendName
  ? BackendOf<N>
  : never;
