import type { Driver, DriverConnection, DriverResult, QueryOptions, Row } from '../driver.js';
import { queryOnConnection } from '../query-on-connection.js';
import { PoolManager, type PoolManagerOptions } from './pool-manager.js';

/**
 * The HA backend behind the `libretto/postgres` adapters (SPEC HA-10, PG-5): writes and
 * transactions on the master, reads marked `readOnly` on replicas.
 */
export class HaDriver implements Driver {
  readonly kind = 'ha';

  constructor(readonly manager: PoolManager) {}

  static async create(options: PoolManagerOptions): Promise<HaDriver> {
    return new HaDriver(await PoolManager.create(options));
  }

  acquire(options: QueryOptions = {}): Promise<DriverConnection> {
    return this.manager.acquire({ readOnly: options.readOnly === true });
  }

  /** One statement on the chosen host's pool; waits for a suitable host only when none is up. */
  query<R = Row>(
    text: string,
    values: readonly unknown[],
    options: QueryOptions = {},
  ): Promise<DriverResult<R>> {
    const host = this.manager.pick(options);
    if (host !== undefined) return host.driver.query<R>(text, values);
    return this.#afterWaiting<R>(text, values, options);
  }

  close(): Promise<void> {
    return this.manager.close();
  }

  async #afterWaiting<R>(
    text: string,
    values: readonly unknown[],
    options: QueryOptions,
  ): Promise<DriverResult<R>> {
    return queryOnConnection<R>(await this.acquire(options), text, values);
  }
}
