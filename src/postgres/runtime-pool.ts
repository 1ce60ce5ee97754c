import { DependencyUnavailableError } from '../errors/application-errors.js';
import { UsageError } from '../errors/usage-error.js';
import type {
  ConnectionPool,
  PooledConnection,
  QueryOptions,
  Row,
  StatementCallback,
  StatementResult,
} from './connection-pool.js';
import type { DatabaseEngine } from './database-engine.js';
import { queryOnConnection } from './query-on-connection.js';

/** How a checked-out connection (or the failure to get one) is handed over; `error` undefined on success. */
export type ConnectCallback = (error: unknown, connection?: PooledConnection) => void;

/** A backend as {@link RuntimePool} drives it: a connection pool, opened by `init` when it has one. */
export interface PoolDriver extends ConnectionPool {
  /** Opens what the pool needs (loads the driver package, creates the pool). */
  init?(): Promise<void>;
  /** Optional callback form of `acquire`: no promise per checkout. */
  connect?(options: QueryOptions | undefined, callback: ConnectCallback): void;
}

/**
 * The behaviour every connection pool shares, whatever its backend (as Kysely's
 * `RuntimeDriver`), so that each backend stays thin:
 *
 * - init once: the driver's `init` runs on first use (or `init()`), once; a failed init is
 *   tried again by the next caller;
 * - use after close: `acquire`/`query` on a closed pool fail at once (`POOL_CLOSED`), and
 *   closing fails callers still waiting for a connection at once, not after their timeout;
 * - one release per connection: releasing a connection twice, or running a statement on a
 *   released one, is a `UsageError` (as `pg-pool` throws on a double release).
 *
 * `PgPool` and `PglitePool` are runtime pools; `Database` wraps any other pool (the HA pool,
 * a pool of your own) in one with {@link RuntimePool.over}.
 */
export class RuntimePool<D extends PoolDriver = PoolDriver> implements ConnectionPool {
  readonly kind: string;
  readonly engine: DatabaseEngine | undefined;
  #ready: boolean;
  #init: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Rejects of the callers waiting in `acquire`: failed at once by `close`. */
  readonly #waiting = new Set<(error: Error) => void>();

  /** `ready`: the driver needs no `init` (it was opened already). */
  protected constructor(
    protected readonly driver: D,
    ready = driver.init === undefined,
  ) {
    this.kind = driver.kind;
    this.engine = driver.engine;
    this.#ready = ready;
  }

  /** The runtime pool over `pool`: itself when it is one; one per pool otherwise. */
  static over(pool: ConnectionPool): RuntimePool {
    if (pool instanceof RuntimePool) return pool;
    let runtime = wrapped.get(pool);
    if (runtime === undefined) {
      runtime = new RuntimePool(pool, true);
      wrapped.set(pool, runtime);
    }
    return runtime;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Opens the driver, once; after a failure the next call tries again. */
  init(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    if (this.#closed) return Promise.reject(poolClosed(this.kind));
    this.#init ??= (this.driver.init?.() ?? Promise.resolve()).then(
      () => {
        this.#ready = true;
      },
      (error: unknown) => {
        this.#init = undefined;
        throw error;
      },
    );
    return this.#init;
  }

  acquire(options?: QueryOptions): Promise<PooledConnection> {
    return new Promise((resolve, reject) =>
      this.connect(options, (error, connection) =>
        error === undefined ? resolve(connection as PooledConnection) : reject(error),
      ),
    );
  }

  /**
   * `acquire` with a callback (the transaction path, no promise): a guarded connection, or
   * the reason there is none — `POOL_CLOSED` at once when the pool is closed, also while the
   * caller waits.
   */
  connect(options: QueryOptions | undefined, callback: ConnectCallback): void {
    if (this.#closed) {
      callback(poolClosed(this.kind));
      return;
    }
    if (!this.#ready) {
      this.init().then(() => this.connect(options, callback), callback);
      return;
    }
    const waiting = this.#waiting;
    const fail = (error: Error) => callback(error);
    waiting.add(fail);
    const give: ConnectCallback = (error, connection) => {
      // Closed while it waited: the caller was already told; give the connection back.
      if (!waiting.delete(fail)) connection?.release();
      else if (error !== undefined) callback(error);
      else callback(undefined, GuardedConnection.of(connection as PooledConnection));
    };
    const driver = this.driver;
    if (driver.connect !== undefined) driver.connect(options, give);
    else driver.acquire(options).then((c) => give(undefined, c), give);
  }

  query<R = Row>(
    text: string,
    values: readonly unknown[],
    options?: QueryOptions,
  ): Promise<StatementResult<R>> {
    if (this.#closed) return Promise.reject(poolClosed(this.kind));
    if (!this.#ready) return this.init().then(() => this.query<R>(text, values, options));
    const driver = this.driver;
    if (driver.query !== undefined) return driver.query<R>(text, values, options);
    return this.acquire(options).then((c) => queryOnConnection<R>(c, text, values));
  }

  /** Closes the pool: later calls fail at once, and so do callers still waiting. Idempotent. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    const error = poolClosed(this.kind);
    for (const reject of this.#waiting) reject(error);
    this.#waiting.clear();
    const init = this.#init;
    this.#closing = this.#ready
      ? this.driver.close()
      : init === undefined
        ? Promise.resolve()
        : init.then(
            () => this.driver.close(),
            () => undefined,
          );
    return this.#closing;
  }
}

const wrapped = new WeakMap<ConnectionPool, RuntimePool>();

function poolClosed(kind: string): DependencyUnavailableError {
  return new DependencyUnavailableError(`The ${kind} connection pool is closed`, {
    code: 'POOL_CLOSED',
  });
}

/** A checked-out connection that may be released once, and not used after. */
class GuardedConnection implements PooledConnection {
  #connection: PooledConnection | undefined;

  constructor(connection: PooledConnection) {
    this.#connection = connection;
  }

  /** The guard of `connection`: one that streams when the connection streams itself. */
  static of(connection: PooledConnection): GuardedConnection {
    return connection.stream === undefined
      ? new GuardedConnection(connection)
      : new StreamingConnection(connection);
  }

  /** The connection while it is checked out. */
  protected held(): PooledConnection | undefined {
    return this.#connection;
  }

  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    const connection = this.#connection;
    if (connection === undefined) {
      return Promise.reject(
        new UsageError('This connection was returned to its pool: acquire another', {
          code: 'CONNECTION_RELEASED',
        }),
      );
    }
    return connection.query<R>(text, values);
  }

  run<R = Row>(text: string, values: readonly unknown[], callback: StatementCallback<R>): void {
    const connection = this.#connection;
    if (connection === undefined) {
      callback(
        new UsageError('This connection was returned to its pool: acquire another', {
          code: 'CONNECTION_RELEASED',
        }),
      );
    } else if (connection.run !== undefined) connection.run<R>(text, values, callback);
    else connection.query<R>(text, values).then((result) => callback(undefined, result), callback);
  }

  release(broken?: boolean): void {
    const connection = this.#connection;
    if (connection === undefined) {
      throw new UsageError('This connection was already returned to its pool', {
        code: 'CONNECTION_RELEASED_TWICE',
      });
    }
    this.#connection = undefined;
    connection.release(broken);
  }
}

/** A guarded connection that streams rows itself (`Database.stream` then uses it). */
class StreamingConnection extends GuardedConnection {
  stream<R = Row>(text: string, values: readonly unknown[], batchSize: number): AsyncIterable<R> {
    const connection = this.held();
    if (connection?.stream === undefined) {
      throw new UsageError('This connection was returned to its pool: acquire another', {
        code: 'CONNECTION_RELEASED',
      });
    }
    return connection.stream<R>(text, values, batchSize);
  }
}
