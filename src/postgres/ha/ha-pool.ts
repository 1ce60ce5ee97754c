import { DependencyUnavailableError } from '../../errors/application-errors.js';
import type {
  ConnectionPool,
  NotificationListener,
  PooledConnection,
  QueryOptions,
  Row,
  StatementResult,
} from '../connection-pool.js';
import { queryOnConnection } from '../query-on-connection.js';
import { HaListener } from './ha-listener.js';
import { PoolManager, type PoolManagerOptions } from './pool-manager.js';

/**
 * The {@link ConnectionPool} over a {@link PoolManager}, behind the `libretto/postgres`
 * adapters: writes and transactions on the master, reads marked `readOnly` on replicas.
 *
 * @example
 * const db = new Database(await HaPool.create({ dsn: 'postgresql://app:pw@db1,db2/app' }));
 */
export class HaPool implements ConnectionPool {
  readonly kind = 'ha';

  constructor(readonly manager: PoolManager) {}

  /** A pool over a new {@link PoolManager} with these options. */
  static async create(options: PoolManagerOptions): Promise<HaPool> {
    return new HaPool(await PoolManager.create(options));
  }

  acquire(options: QueryOptions = {}): Promise<PooledConnection> {
    return this.#acquireWithin(options, undefined);
  }

  #acquireWithin(options: QueryOptions, timeout: number | undefined): Promise<PooledConnection> {
    return this.manager.acquire({
      readOnly: options.readOnly === true,
      ...(timeout === undefined ? {} : { timeout }),
    });
  }

  /**
   * One statement on the chosen host's pool; waits for a suitable host only when none is up.
   * The pool's own fast path while it has a connection free (idle, or a slot to open one): a
   * caller that would queue on the host's pool goes through the manager's `acquire`, whose callers move to the new
   * choice when the host is dropped (nothing was sent yet) instead of waiting there.
   */
  query<R = Row>(
    text: string,
    values: readonly unknown[],
    options: QueryOptions = {},
  ): Promise<StatementResult<R>> {
    const host = this.manager.pick(options);
    if (host === undefined) return this.#afterWaiting<R>(text, values, options);
    if (host.connections.freeSize === 0) {
      const acquiring = this.manager.acquireFrom(host, { readOnly: options.readOnly === true });
      return acquiring.then((c) => queryOnConnection<R>(c, text, values));
    }
    const started = performance.now();
    return host.connections.query<R>(text, values).catch((error: unknown) => {
      // No connection from that host, so nothing was sent: wait for a suitable host for what
      // is left of the acquire timeout, as `acquire` does (which has the host checked at once).
      if (!(error instanceof DependencyUnavailableError)) throw error;
      const left = this.manager.acquireTimeoutMs - (performance.now() - started);
      if (left <= 0) throw error;
      return this.#afterWaiting<R>(text, values, options, left);
    });
  }

  /** `LISTEN channel` on the master, following it to the new one after a failover. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<NotificationListener> {
    return HaListener.open(this.manager, channel, onNotify);
  }

  close(): Promise<void> {
    return this.manager.close();
  }

  async #afterWaiting<R>(
    text: string,
    values: readonly unknown[],
    options: QueryOptions,
    timeout?: number,
  ): Promise<StatementResult<R>> {
    return queryOnConnection<R>(await this.#acquireWithin(options, timeout), text, values);
  }
}
