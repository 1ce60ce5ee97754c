import { PgDriver } from './pg-driver.js';
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
}
