import type { PooledConnection, Row, StatementResult } from '../connection-pool.js';
import type { HostPool } from './host-pool.js';

/**
 * A connection handed out by the HA pool manager: the host it came from, and `release()` or
 * `await using` to return it. Returned after its host changed role or went away, it is closed
 * rather than reused.
 */
export class HaConnection implements PooledConnection, AsyncDisposable {
  constructor(
    readonly connection: PooledConnection,
    readonly pool: HostPool,
  ) {}

  /** `host:port` of the server. */
  get host(): string {
    return this.pool.address;
  }

  query<R = Row>(text: string, values: readonly unknown[] = []): Promise<StatementResult<R>> {
    return this.connection.query<R>(text, values);
  }

  release(broken = false): void {
    this.connection.release(broken);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}
