import type {
  PooledConnection,
  Row,
  StatementCallback,
  StatementResult,
} from '../connection-pool.js';
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
  /** Why the connection was closed under its user (`terminate()`); its release is then a no-op. */
  #terminated: Error | undefined;

  constructor(
    readonly connection: PooledConnection,
    readonly pool: HostPool,
  ) {
    pool.track(this);
  }

  /** `host:port` of the server. */
  get host(): string {
    return this.pool.address;
  }

  query<R = Row>(text: string, values: readonly unknown[] = []): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) =>
      this.run<R>(text, values, (error, result) =>
        error === undefined ? resolve(result as StatementResult<R>) : reject(error),
      ),
    );
  }

  run<R = Row>(text: string, values: readonly unknown[], callback: StatementCallback<R>): void {
    if (this.#terminated !== undefined) {
      callback(this.#terminated);
      return;
    }
    const answer: StatementCallback<R> = (error, result) => {
      if (error === undefined) callback(undefined, result);
      // Cut by terminate(): that is the reason, not the closed socket pg reports.
      else callback(this.#terminated ?? toLibrettoError(error, text));
    };
    const connection = this.connection;
    if (connection.run !== undefined) connection.run<R>(text, values, answer);
    else connection.query<R>(text, values).then((result) => answer(undefined, result), answer);
  }

  release(broken = false): void {
    if (this.#terminated !== undefined) return;
    this.pool.untrack(this);
    this.connection.release(broken);
  }

  /**
   * @internal `terminate()`: closes the server link now (pg destroys the socket of a client
   * with a statement in flight), whatever the user still does with this connection.
   */
  terminate(error: Error): void {
    if (this.#terminated !== undefined) return;
    this.#terminated = error;
    this.pool.untrack(this);
    this.connection.release(true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}
