import { DependencyUnavailableError } from '../errors/application-errors.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { type Checkout, CheckoutTimer } from './checkout-timer.js';
import {
  type ConnectTarget,
  connectFailure,
  connectTarget,
  connectTimeout,
} from './connect-failure.js';
import type {
  PooledConnection,
  Row,
  StatementCallback,
  StatementResult,
} from './connection-pool.js';
import { mustDiscard } from './error-mapping.js';
import { poolConfig, type ResolvedPgPoolOptions } from './pg-pool-options.js';
import type { PgModule, PgPoolClient, PgPoolConfig, PgPoolLike } from './pg-types.js';
import { PreparedStatements, type QueryCallback } from './prepared-statements.js';
import { queryOnConnection } from './query-on-connection.js';
import { type ClientState, ping, runStatement } from './run-statement.js';
import type { ConnectCallback, PoolDriver } from './runtime-pool.js';

type Done = (release?: boolean | Error) => void;

/**
 * The `pg` backend under `PgPool`: a `pg.Pool`, named prepared statements per client, and the
 * timers and events that tell a lost connection from a failed statement without reading
 * error messages.
 */
export class PgDriver implements PoolDriver {
  readonly kind = 'pg';
  #pool: PgPoolLike | undefined;
  readonly #tracked = new WeakMap<PgPoolClient, ClientState>();
  /** Clients connected and not yet removed (the pool's count includes those connecting). */
  #connected = 0;
  #generation = 0;
  /** The acquire timeout, owned here rather than by pg-pool (whose error says it in text only). */
  readonly #checkouts: CheckoutTimer;
  /** Database, host and user named in connection failures. */
  readonly #target: ConnectTarget;

  constructor(
    readonly options: ResolvedPgPoolOptions,
    /** `host:port` (or the socket directory), for events and messages. */
    readonly address: string,
  ) {
    this.#checkouts = new CheckoutTimer(options.acquireTimeoutMs);
    this.#target = connectTarget(options, address);
  }

  async init(): Promise<void> {
    const pg = (
      (await importOptionalPeer(
        'pg',
        'The PostgreSQL server backend',
        () => import('pg'),
      )) as unknown as { default: PgModule }
    ).default;
    // Opening a connection is limited by the client itself; waiting for one, by #checkouts.
    const timeout = this.options.acquireTimeoutMs;
    const Client = pg.Client;
    const pool = new pg.Pool({
      ...poolConfig(this.options),
      Client: class extends Client {
        constructor(config: PgPoolConfig) {
          const own = { ...config, connectionTimeoutMillis: timeout };
          // pg-pool hides the password (not enumerable): a spread alone would drop it.
          if (config.password !== undefined) {
            Object.defineProperty(own, 'password', { value: config.password, enumerable: false });
          }
          super(own);
        }
      },
    });
    pool.on('connect', () => {
      this.#connected++;
    });
    pool.on('remove', () => {
      this.#connected--;
    });
    // An idle client whose server went away: the pool drops it; whoever listens is told.
    pool.on('error', (error) => this.options.onIdleError(error, this.address));
    this.#pool = pool;
  }

  get #pg(): PgPoolLike {
    return this.#pool as PgPoolLike;
  }

  get freeSize(): number {
    const pool = this.#pg;
    return Math.max(0, this.options.maxSize - pool.totalCount + pool.idleCount);
  }

  get stats(): { total: number; idle: number; waiting: number } {
    const pool = this.#pg;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  discardConnections(): void {
    this.#generation++;
  }

  acquire(): Promise<PooledConnection> {
    return new Promise((resolve, reject) =>
      this.connect(undefined, (error, connection) =>
        error === undefined ? resolve(connection as PooledConnection) : reject(error),
      ),
    );
  }

  /**
   * A checked-out connection, through callbacks only: retired clients are closed and another
   * taken; a client's init hook and pre-ping run first, and a dead pooled client is replaced
   * (once per pool slot at most).
   */
  connect(_options: unknown, callback: ConnectCallback): void {
    let attempts = 0;
    this.#take((client, tracked, done, checkout, retry) => {
      const connection = new PgConnection(client, tracked, this, done);
      if (tracked.init === undefined && !this.#needsPing(tracked)) {
        checkout.settled = true;
        callback(undefined, connection);
        return;
      }
      (tracked.init ?? ping(client)).then(
        () => {
          if (checkout.expired) connection.release();
          else {
            checkout.settled = true;
            callback(undefined, connection);
          }
        },
        (failure: unknown) => {
          connection.release(true);
          if (checkout.expired) return;
          if (++attempts <= this.options.maxSize) retry();
          else {
            checkout.settled = true;
            callback(failure);
          }
        },
      );
    }, callback);
  }

  /**
   * One statement on a pooled client, released the moment its result arrives (every call
   * outside a transaction). Falls back to `acquire` when the client needs its init hook or a
   * pre-ping first.
   */
  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) =>
      this.#take((client, tracked, done, checkout) => {
        checkout.settled = true;
        const finish: QueryCallback<R> = (failure, answer) => {
          tracked.lastUsed = Date.now();
          done(this.#mustClose(tracked, failure) ? true : undefined);
          if (failure === undefined) resolve(answer as StatementResult<R>);
          else reject(failure);
        };
        const timeout = this.options.queryTimeoutMs;
        if (tracked.init === undefined && !this.#needsPing(tracked)) {
          runStatement(client, tracked, text, values, timeout, finish);
          return;
        }
        (tracked.init ?? ping(client)).then(
          () => runStatement(client, tracked, text, values, timeout, finish),
          () => {
            // A dead pooled connection (or a failed init): drop it, take another.
            done(true);
            this.acquire()
              .then((connection) => queryOnConnection<R>(connection, text, values))
              .then(resolve, reject);
          },
        );
      }, reject),
    );
  }

  /**
   * Takes a current client within the acquire timeout (a retired one is closed and another
   * taken) and hands it to `use` with its checkout still timed: `use` settles it, or sees it
   * expired. `retry` takes another client for the same checkout; `fail` hears why there is none.
   */
  #take(
    use: (
      client: PgPoolClient,
      tracked: ClientState,
      done: Done,
      checkout: Checkout,
      retry: () => void,
    ) => void,
    fail: (error: unknown) => void,
  ): void {
    const checkout = this.#checkouts.start(() => fail(this.#timedOut()));
    const onClient = (
      error: Error | null | undefined,
      client: PgPoolClient | undefined,
      done: Done,
    ): void => {
      if (checkout.expired) {
        if (client !== undefined) done(); // the caller gave up: back to the pool
        return;
      }
      if (error !== undefined && error !== null) {
        checkout.settled = true;
        // pg's own connect timer (the same length) may fire first: one message either way.
        const late = performance.now() >= checkout.deadline;
        const target = this.#target;
        fail(
          late
            ? connectTimeout(target, this.options.acquireTimeoutMs)
            : connectFailure(target, error),
        );
        return;
      }
      const c = client as PgPoolClient;
      const tracked = this.#track(c);
      if (tracked.generation !== this.#generation) {
        done(true); // retired: close it, take another
        this.#pg.connect(onClient);
        return;
      }
      use(c, tracked, done, checkout, retry);
    };
    const retry = (): void => this.#pg.connect(onClient);
    this.#pg.connect(onClient);
  }

  async close(): Promise<void> {
    await this.#pool?.end();
  }

  /** Whether a client must be closed when returned rather than pooled again. */
  #mustClose(tracked: ClientState, failure: unknown): boolean {
    return (
      tracked.lost ||
      tracked.stalled ||
      tracked.generation !== this.#generation ||
      tracked.prepared?.worn === true ||
      (failure !== undefined && mustDiscard(failure))
    );
  }

  /** @internal For `PgConnection`: returns its client. */
  releaseClient(tracked: ClientState, done: Done, broken: boolean): void {
    tracked.lastUsed = Date.now();
    done(broken || this.#mustClose(tracked, undefined) ? true : undefined);
  }

  /** Pre-ping: a connection used before and idle for at least `prePingIdleMs`. */
  #needsPing(tracked: ClientState): boolean {
    const ping = this.options.prePingIdleMs;
    return ping !== false && tracked.lastUsed > 0 && Date.now() - tracked.lastUsed >= ping;
  }

  /**
   * No connection within the acquire timeout: the pool was exhausted when every slot is held
   * by a connected client; otherwise a connection was still being opened.
   */
  #timedOut(): DependencyUnavailableError {
    const { acquireTimeoutMs, maxSize } = this.options;
    if (this.#connected >= maxSize) {
      return new DependencyUnavailableError(
        `No database connection free within ${acquireTimeoutMs} ms (pool of ${maxSize})`,
        { code: 'POOL_EXHAUSTED' },
      );
    }
    return connectTimeout(this.#target, acquireTimeoutMs);
  }

  #track(client: PgPoolClient): ClientState {
    let tracked = this.#tracked.get(client);
    if (tracked === undefined) {
      const created: ClientState = {
        generation: this.#generation,
        init: undefined,
        lastUsed: 0,
        busy: false,
        waiting: undefined,
        lost: false,
        stalled: false,
        prepared: this.options.prepare
          ? new PreparedStatements(this.options.preparedCacheSize)
          : undefined,
      };
      tracked = created;
      this.#tracked.set(client, created);
      // The socket is gone: statements failing on it are connection losses, whatever pg's
      // message says. While checked out, the caller's statement reports the error itself.
      const lost = () => {
        created.lost = true;
      };
      client.on('error', lost);
      client.on('end', lost);
      const onConnect = this.options.onConnect;
      if (onConnect !== undefined) {
        // The hook gets a connection of its own: no prepared statements, never released.
        const hookState: ClientState = { ...created, prepared: undefined, waiting: undefined };
        const hookConnection = new PgConnection(client, hookState, this, () => {});
        // Deferred: a hook that throws synchronously rejects instead of escaping a pool callback.
        created.init = Promise.resolve()
          .then(() => onConnect(hookConnection))
          .then(() => {
            created.init = undefined;
          });
      }
    }
    return tracked;
  }
}

/** One checked-out `pg` client. */
class PgConnection implements PooledConnection {
  constructor(
    private readonly client: PgPoolClient,
    private readonly tracked: ClientState,
    private readonly driver: PgDriver,
    private readonly done: Done,
  ) {}

  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) =>
      runStatement<R>(
        this.client,
        this.tracked,
        text,
        values,
        this.driver.options.queryTimeoutMs,
        (error, answer) =>
          error === undefined ? resolve(answer as StatementResult<R>) : reject(error),
      ),
    );
  }

  run<R = Row>(text: string, values: readonly unknown[], callback: StatementCallback<R>): void {
    runStatement<R>(
      this.client,
      this.tracked,
      text,
      values,
      this.driver.options.queryTimeoutMs,
      callback,
    );
  }

  release(broken = false): void {
    this.driver.releaseClient(this.tracked, this.done, broken);
  }
}
