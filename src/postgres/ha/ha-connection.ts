import type { PooledConnection, Row, StatementResult } from '../connection-pool.js';
import { toLibrettoError } from '../statement-runner.js';
import type { HostPool } from './host-pool.js';

/**
 * A connection handed out by the HA pool manager: the host it came from, and `release()` or
 * `await using` to return it. Returned after its host changed role or went away, it is closed
 * rather than reused. Its statements fail with the typed errors `Database` gives
 * (`DB_UNIQUE_VIOLATION`, `DB_UNAVAILABLE`, …); after `terminate()` its server link is closed
 * (a statement in flight fails, as later ones do, with `HA_CLOSED`).
 */
export class HaConnection implements PooledConnection, AsyncDisposable {
  readonly #untrack: () => void;
  /** Why the connection was closed under its user (`terminate()`); its release is then a no-op. */
  #terminated: Error | undefined;

  constructor(
    readonly connection: PooledConnection,
    readonly pool: HostPool,
  ) {
    this.#untrack = pool.track(this);
  }

  /** `host:port` of the server. */
  get host(): string {
    return this.pool.address;
  }

  query<R = Row>(text: string, values: readonly unknown[] = []): Promise<StatementResult<R>> {
    if (this.#terminated !== undefined) return Promise.reject(this.#terminated);
    return this.connection.query<R>(text, values).catch((error: unknown) => {
      // Cut by terminate(): that is the reason, not the closed socket pg reports.
      throw this.#terminated ?? toLibrettoError(error, text);
    });
  }

  release(broken = false): void {
    if (this.#terminated !== undefined) return;
    this.#untrack();
    this.connection.release(broken);
  }

  /**
   * @internal `terminate()`: closes the server link now (pg destroys the socket of a client
   * with a statement in flight), whatever the user still does with this connection.
   */
  terminate(error: Error): void {
    if (this.#terminated !== undefined) return;
    this.#terminated = error;
    this.#untrack();
    this.connection.release(true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}
