import { RuntimePool } from '../postgres/runtime-pool.js';
import { MysqlDriver } from './mysql-driver.js';
import {
  type MysqlPoolOptions,
  type ResolvedMysqlPoolOptions,
  resolveMysqlPoolOptions,
} from './mysql-pool-options.js';

/**
 * A pool of connections to one MySQL or MariaDB server through `mysql2`, loaded when the pool
 * is created: the pool settings PostgreSQL's have (size, an acquire timeout failing fast with
 * DependencyUnavailableError, idle timeout, use limit, lifetime, pre-ping, init hook),
 * server-side prepared statements for repeated statements, every session in UTC. A `Database`
 * over it renders the `sql` tag with `?` and backquotes and maps errors by error number.
 *
 * @example
 * const pool = await MysqlPool.create({ connectionString: 'mysql://app@db/app', maxSize: 20 });
 * const db = new Database(pool);
 */
export class MysqlPool extends RuntimePool<MysqlDriver> {
  private constructor(driver: MysqlDriver) {
    super(driver);
  }

  /** Opens the pool (connections are made as they are needed). */
  static async create(options: MysqlPoolOptions = {}): Promise<MysqlPool> {
    const pool = new MysqlPool(new MysqlDriver(resolveMysqlPoolOptions(options)));
    await pool.init();
    return pool;
  }

  /** The options in effect, defaults applied (read-only; the password is not enumerable). */
  get options(): ResolvedMysqlPoolOptions {
    return this.driver.options;
  }

  /** `host:port` of the server. */
  get address(): string {
    return this.driver.address;
  }

  /** Connections open / idle / callers waiting, for metrics and tests. */
  get stats(): { total: number; idle: number; waiting: number } {
    return this.driver.stats;
  }

  /** Retires every connection open now: idle ones closed when next taken, others when returned. */
  discardConnections(): void {
    this.driver.discardConnections();
  }
}
