import type { PGlite } from '@electric-sql/pglite';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { rejectUnknownKeys } from '../errors/invalid-option.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import type {
  NotificationListener,
  PooledConnection,
  Row,
  StatementResult,
} from './connection-pool.js';
import { listenStatement } from './notification-channel.js';
import { POOL_DEFAULTS } from './pool-defaults.js';
import { type PoolDriver, RuntimePool } from './runtime-pool.js';

/** Settings of the embedded database. */
export interface PglitePoolOptions {
  /** A directory to keep the data in; in memory when omitted. */
  readonly dataDir?: string;
  /**
   * Start from a dump of another PGlite (its `dumpDataDir()`): a database made once — schema,
   * seed rows — and opened many times, far faster than creating an empty one each time.
   */
  readonly loadDataDir?: Blob;
  /** How long `acquire` waits for the (single) connection before failing (`POOL_DEFAULTS`: 5 s). */
  readonly acquireTimeoutMs?: number;
}

/** {@link PglitePoolOptions} with the defaults applied; one session, so a pool of one. */
export interface ResolvedPglitePoolOptions {
  readonly dataDir: string | undefined;
  readonly loadDataDir: Blob | undefined;
  readonly acquireTimeoutMs: number;
  readonly maxSize: 1;
}

const KEYS = new Set(['dataDir', 'loadDataDir', 'acquireTimeoutMs']);

/**
 * Embedded PostgreSQL in this process (PGlite), loaded when the pool is created: one session,
 * so one connection, handed to one user at a time — transactions from concurrent callers
 * queue for it instead of interleaving on it. Closing the pool fails the callers still
 * queued at once.
 *
 * @example
 * const db = new Database(await PglitePool.create({ dataDir: './data' }));
 */
export class PglitePool extends RuntimePool<PgliteDriver> {
  private constructor(driver: PgliteDriver) {
    super(driver);
  }

  static async create(options: PglitePoolOptions = {}): Promise<PglitePool> {
    rejectUnknownKeys('PglitePool', options, KEYS);
    const pool = new PglitePool(
      new PgliteDriver(
        Object.freeze({
          dataDir: options.dataDir,
          loadDataDir: options.loadDataDir,
          acquireTimeoutMs: options.acquireTimeoutMs ?? POOL_DEFAULTS.acquireTimeoutMs,
          maxSize: 1,
        }),
      ),
    );
    await pool.init();
    return pool;
  }

  /** The options in effect, defaults applied (read-only). */
  get options(): ResolvedPglitePoolOptions {
    return this.driver.options;
  }

  /** `LISTEN channel` on the session: notifications arrive when their transaction commits. */
  async listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<NotificationListener> {
    listenStatement('listen', channel);
    await this.init();
    return this.driver.listen(channel, onNotify);
  }
}

/** The single PGlite session, lent to one caller at a time. */
class PgliteDriver implements PoolDriver {
  readonly kind = 'pglite';
  #db: PGlite | undefined;
  readonly #waiting: { grant: () => void; timer: NodeJS.Timeout }[] = [];
  #busy = false;

  constructor(readonly options: ResolvedPglitePoolOptions) {}

  async init(): Promise<void> {
    const mod = await importOptionalPeer(
      '@electric-sql/pglite',
      'The embedded database (PGlite)',
      () => import('@electric-sql/pglite'),
    );
    const { dataDir, loadDataDir } = this.options;
    this.#db = await mod.PGlite.create({
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(loadDataDir === undefined ? {} : { loadDataDir }),
    });
  }

  async acquire(): Promise<PooledConnection> {
    if (this.#busy) await this.#wait();
    this.#busy = true;
    return new PgliteConnection(this.#db as PGlite, () => this.#release());
  }

  /** Between transactions, not inside another caller's: the session is taken first. */
  async listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<NotificationListener> {
    const db = this.#db as PGlite;
    const unlisten = await this.#exclusive(() =>
      db.listen(`"${channel}"`, (payload) => onNotify(payload ?? '')),
    );
    let closed = false;
    return {
      close: async () => {
        if (closed || db.closed) return;
        closed = true;
        await this.#exclusive(() => unlisten());
      },
    };
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      return await fn();
    } finally {
      connection.release();
    }
  }

  async close(): Promise<void> {
    // The runtime pool has already failed the callers waiting; drop their timers.
    for (const w of this.#waiting.splice(0)) clearTimeout(w.timer);
    await this.#db?.close();
  }

  #wait(): Promise<void> {
    const timeout = this.options.acquireTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
          reject(
            new DependencyUnavailableError(
              `The embedded database was busy for ${timeout} ms (one connection)`,
              { code: 'POOL_EXHAUSTED' },
            ),
          );
        }, timeout),
      };
      this.#waiting.push(waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#busy = false;
    else next.grant(); // stays busy: handed straight to the next caller
  }
}

/** The session, lent to one caller; the runtime pool guards its release. */
class PgliteConnection implements PooledConnection {
  constructor(
    private readonly db: PGlite,
    private readonly onRelease: () => void,
  ) {}

  async query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    if (values.length === 0) {
      // No values: a script of one or more statements; the last one's result.
      const results = await this.db.exec(text);
      const last = results.at(-1);
      const rows = (last?.rows ?? []) as R[];
      return { rows, rowCount: Math.max(last?.affectedRows ?? 0, rows.length) };
    }
    const r = await this.db.query<R>(text, values as unknown[]);
    return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
  }

  release(): void {
    this.onRelease();
  }
}
