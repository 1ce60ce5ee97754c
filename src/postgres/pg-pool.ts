import { DependencyUnavailableError } from '../errors/application-errors.js';
import type { NotificationListener } from './connection-pool.js';
import { PgDriver } from './pg-driver.js';
import { PgListener } from './pg-listener.js';
import type { PgPoolOptions, ResolvedPgPoolOptions } from './pg-pool-options.js';
import { addressOf, resolvePgPoolOptions } from './pg-pool-options.js';
import { RuntimePool } from './runtime-pool.js';

export type { PgPoolOptions, ResolvedPgPoolOptions } from './pg-pool-options.js';

/**
 * A pool of connections to one PostgreSQL server through `pg` (node-postgres), loaded when
 * the pool is created: named prepared statements per connection, pre-ping of idle ones, a
 * client-side query timeout, idle-connection errors reported (`onIdleError`).
 *
 * @example
 * const pool = await PgPool.create({ connectionString: 'postgresql://app@db/app', maxSize: 20 });
 * const db = new Database(pool);
 */
export class PgPool extends RuntimePool<PgDriver> {
  /** Listeners open now: closed with the pool. */
  readonly #listeners = new Set<NotificationListener>();

  private constructor(driver: PgDriver) {
    super(driver);
  }

  /** Opens the pool (connections are made as they are needed). */
  static async create(options: PgPoolOptions = {}): Promise<PgPool> {
    const resolved = resolvePgPoolOptions(options);
    const pool = new PgPool(new PgDriver(resolved, addressOf(options)));
    await pool.init();
    return pool;
  }

  /** The options in effect, defaults applied (read-only; the password is not enumerable). */
  get options(): ResolvedPgPoolOptions {
    return this.driver.options;
  }

  /** `host:port` of the server. */
  get address(): string {
    return this.driver.address;
  }

  /** Connections that can be handed out without waiting (idle, or not opened yet). */
  get freeSize(): number {
    return this.driver.freeSize;
  }

  /** Connections open / idle / callers waiting, for metrics and tests. */
  get stats(): { total: number; idle: number; waiting: number } {
    return this.driver.stats;
  }

  /**
   * Retires every connection open now: idle ones are closed when next taken, checked-out ones
   * when returned (the HA manager calls this when a host changes role or goes away).
   */
  discardConnections(): void {
    this.driver.discardConnections();
  }

  /**
   * `LISTEN channel` on a connection of its own (not one of the pool's), reopened with
   * backoff when lost — then `onNotify('')`, for what was missed. Closed with the pool.
   */
  async listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<NotificationListener> {
    if (this.closed) {
      throw new DependencyUnavailableError('The pg connection pool is closed', {
        code: 'POOL_CLOSED',
      });
    }
    const listener = await PgListener.open(this.options, this.address, channel, onNotify);
    const listeners = this.#listeners;
    listeners.add(listener);
    return {
      close: () => {
        listeners.delete(listener);
        return listener.close();
      },
    };
  }

  override async close(): Promise<void> {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    await Promise.all([super.close(), ...listeners.map((l) => l.close())]);
  }
}
