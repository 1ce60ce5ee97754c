import type { PGlite } from '@electric-sql/pglite';
import { DependencyUnavailableError, InvalidOperationError } from '../errors/application-errors.js';
import type { ConnectionPool, PooledConnection, Row, StatementResult } from './connection-pool.js';

/** Settings of the embedded driver. */
export interface PglitePoolOptions {
  /** A directory to keep the data in; in memory when omitted. */
  readonly dataDir?: string;
  /** How long `acquire` waits for the (single) connection before failing. */
  readonly acquireTimeoutMs?: number;
}

/**
 * Embedded PostgreSQL in this process (PGlite, SPEC X-1): one session, so one connection,
 * handed to one user at a time — transactions from concurrent callers queue for it instead
 * of interleaving on it.
 */
export class PglitePool implements ConnectionPool {
  readonly kind = 'pglite';
  readonly #db: PGlite;
  readonly #timeout: number;
  readonly #waiting: (() => void)[] = [];
  #busy = false;

  private constructor(db: PGlite, options: PglitePoolOptions) {
    this.#db = db;
    this.#timeout = options.acquireTimeoutMs ?? 5_000;
  }

  static async create(options: PglitePoolOptions = {}): Promise<PglitePool> {
    let mod: typeof import('@electric-sql/pglite');
    try {
      mod = await import('@electric-sql/pglite');
    } catch (error) {
      throw new DependencyUnavailableError(
        'The embedded database needs @electric-sql/pglite (npm install @electric-sql/pglite)',
        { cause: error },
      );
    }
    const db = await mod.PGlite.create(
      options.dataDir === undefined ? {} : { dataDir: options.dataDir },
    );
    return new PglitePool(db, options);
  }

  async acquire(): Promise<PooledConnection> {
    if (this.#busy) {
      await new Promise<void>((resolve, reject) => {
        const grant = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(grant), 1);
          reject(
            new DependencyUnavailableError(
              `The embedded database was busy for ${this.#timeout} ms (one connection)`,
            ),
          );
        }, this.#timeout);
        this.#waiting.push(grant);
      });
    }
    this.#busy = true;
    return new PgliteConnection(this.#db, () => this.#release());
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#busy = false;
    else next(); // stays busy: handed straight to the next caller
  }
}

class PgliteConnection implements PooledConnection {
  #released = false;
  constructor(
    private readonly db: PGlite,
    private readonly onRelease: () => void,
  ) {}

  async query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    if (this.#released) throw new InvalidOperationError('This connection was returned');
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
    if (this.#released) return;
    this.#released = true;
    this.onRelease();
  }
}
