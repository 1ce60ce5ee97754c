import { DependencyUnavailableError } from '../errors/application-errors.js';
import { DeadlineExceededError } from '../errors/infrastructure-errors.js';
import type {
  PooledConnection,
  Row,
  StatementCallback,
  StatementResult,
} from './connection-pool.js';
import { markConnectionLost, mustDiscard, statementName } from './error-mapping.js';
import type { ResolvedPgPoolOptions } from './pg-pool-options.js';
import type { PgModule, PgPoolClient, PgPoolConfig, PgPoolLike } from './pg-types.js';
import { PreparedStatements, type QueryCallback, toResult } from './prepared-statements.js';
import type { ConnectCallback, PoolDriver } from './runtime-pool.js';

type Done = (release?: boolean | Error) => void;

/** State of one `pg` client, kept for as long as the client lives. */
interface Tracked {
  /** The pool's generation when the client was made; older ones are closed, not reused. */
  readonly generation: number;
  init: Promise<void> | undefined;
  /** When it was last returned (ms since epoch): pre-ping decides from it. */
  lastUsed: number;
  readonly prepared: PreparedStatements | undefined;
  /** A statement is in flight; later ones wait here (pg's implicit queue is deprecated). */
  busy: boolean;
  waiting: (() => void)[] | undefined;
  /** The client reported an error or its end: its socket is gone. */
  lost: boolean;
  /** A statement timed out on this client: it may still run, so the client is never reused. */
  stalled: boolean;
}

/**
 * The `pg` backend under `PgPool`: a `pg.Pool`, named prepared statements per client, and the
 * timers and events that tell a lost connection from a failed statement without reading
 * error messages.
 */
export class PgDriver implements PoolDriver {
  readonly kind = 'pg';
  #pool: PgPoolLike | undefined;
  readonly #tracked = new WeakMap<PgPoolClient, Tracked>();
  /** Clients connected and not yet removed (the pool's count includes those connecting). */
  #connected = 0;
  #generation = 0;

  constructor(
    readonly options: ResolvedPgPoolOptions,
    /** `host:port` (or the socket directory), for events and messages. */
    readonly address: string,
  ) {}

  async init(): Promise<void> {
    let pg: PgModule;
    try {
      pg = ((await import('pg')) as unknown as { default: PgModule }).default;
    } catch (error) {
      throw new DependencyUnavailableError('The pg backend needs the pg package (npm install pg)', {
        code: 'POSTGRES_PACKAGE_MISSING',
        cause: error,
      });
    }
    const pool = new pg.Pool(poolConfig(this.options));
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

  get #ready(): PgPoolLike {
    return this.#pool as PgPoolLike;
  }

  get freeSize(): number {
    const pool = this.#ready;
    return Math.max(0, this.options.maxSize - pool.totalCount + pool.idleCount);
  }

  get stats(): { total: number; idle: number; waiting: number } {
    const pool = this.#ready;
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
    const started = performance.now();
    let attempts = 0;
    const onClient = (
      error: Error | null | undefined,
      client: PgPoolClient | undefined,
      done: Done,
    ) => {
      if (error !== undefined && error !== null) {
        callback(this.#acquireError(error, started));
        return;
      }
      const c = client as PgPoolClient;
      const tracked = this.#track(c);
      if (tracked.generation !== this.#generation) {
        done(true); // retired: close it, take another
        this.#ready.connect(onClient);
        return;
      }
      const connection = new PgConnection(c, tracked, this, done);
      if (tracked.init === undefined && !this.#needsPing(tracked)) {
        callback(undefined, connection);
        return;
      }
      (tracked.init ?? ping(c)).then(
        () => callback(undefined, connection),
        (failure: unknown) => {
          connection.release(true);
          if (++attempts > this.options.maxSize) callback(failure);
          else this.#ready.connect(onClient);
        },
      );
    };
    this.#ready.connect(onClient);
  }

  /**
   * One statement on a pooled client, released the moment its result arrives (every call
   * outside a transaction). Falls back to `acquire` when the client needs its init hook or a
   * pre-ping first.
   */
  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const onClient = (
        error: Error | null | undefined,
        client: PgPoolClient | undefined,
        done: Done,
      ) => {
        if (error !== undefined && error !== null) {
          reject(this.#acquireError(error, started));
          return;
        }
        const c = client as PgPoolClient;
        const tracked = this.#track(c);
        if (tracked.generation !== this.#generation) {
          done(true); // retired: close it, take another
          this.#ready.connect(onClient);
          return;
        }
        const finish: QueryCallback<R> = (failure, answer) => {
          tracked.lastUsed = Date.now();
          done(this.#mustClose(tracked, failure) ? true : undefined);
          if (failure === undefined) resolve(answer as StatementResult<R>);
          else reject(failure);
        };
        if (tracked.init === undefined && !this.#needsPing(tracked)) {
          runOn(c, tracked, text, values, this.options.queryTimeoutMs, finish);
          return;
        }
        (tracked.init ?? ping(c)).then(
          () => runOn(c, tracked, text, values, this.options.queryTimeoutMs, finish),
          () => {
            // A dead pooled connection (or a failed init): drop it, take another.
            done(true);
            this.#slowQuery<R>(text, values).then(resolve, reject);
          },
        );
      };
      this.#ready.connect(onClient);
    });
  }

  async close(): Promise<void> {
    await this.#pool?.end();
  }

  /** Whether a client must be closed when returned rather than pooled again. */
  #mustClose(tracked: Tracked, failure: unknown): boolean {
    return (
      tracked.lost ||
      tracked.stalled ||
      tracked.generation !== this.#generation ||
      tracked.prepared?.worn === true ||
      (failure !== undefined && mustDiscard(failure))
    );
  }

  /** @internal For `PgConnection`: returns its client. */
  releaseClient(tracked: Tracked, done: Done, broken: boolean): void {
    tracked.lastUsed = Date.now();
    done(broken || this.#mustClose(tracked, undefined) ? true : undefined);
  }

  async #slowQuery<R>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    const connection = await this.acquire();
    let broken = false;
    try {
      return await connection.query<R>(text, values);
    } catch (error) {
      broken = mustDiscard(error);
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  #connect(): Promise<{ client: PgPoolClient; done: Done }> {
    const started = performance.now();
    return new Promise((resolve, reject) =>
      this.#ready.connect((error, client, done) => {
        if (error !== undefined && error !== null) reject(this.#acquireError(error, started));
        else resolve({ client: client as PgPoolClient, done });
      }),
    );
  }

  /** Pre-ping: a connection used before and idle for at least `prePingIdleMs`. */
  #needsPing(tracked: Tracked): boolean {
    const ping = this.options.prePingIdleMs;
    return ping !== false && tracked.lastUsed > 0 && Date.now() - tracked.lastUsed >= ping;
  }

  /**
   * What a failed checkout means, from what the pool knows: the wait outlasted the acquire
   * timeout with every slot held by a connected client (exhausted), or a new connection could
   * not be opened (refused, timed out, rejected by the server).
   */
  #acquireError(error: Error, started: number): DependencyUnavailableError {
    const { acquireTimeoutMs, maxSize } = this.options;
    const timedOut = performance.now() - started >= acquireTimeoutMs;
    if (timedOut && this.#connected >= maxSize) {
      return new DependencyUnavailableError(
        `No database connection free within ${acquireTimeoutMs} ms (pool of ${maxSize})`,
        { code: 'POOL_EXHAUSTED', cause: error },
      );
    }
    return new DependencyUnavailableError(`Cannot connect to the database at ${this.address}`, {
      code: 'DATABASE_CONNECT_FAILED',
      cause: error,
    });
  }

  #track(client: PgPoolClient): Tracked {
    let tracked = this.#tracked.get(client);
    if (tracked === undefined) {
      const created: Tracked = {
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
        const hookState: Tracked = { ...created, prepared: undefined, waiting: undefined };
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
    private readonly tracked: Tracked,
    private readonly driver: PgDriver,
    private readonly done: Done,
  ) {}

  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) =>
      runOn<R>(
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
    runOn<R>(this.client, this.tracked, text, values, this.driver.options.queryTimeoutMs, callback);
  }

  release(broken = false): void {
    this.driver.releaseClient(this.tracked, this.done, broken);
  }
}

function ping(client: PgPoolClient): Promise<void> {
  return new Promise((resolve, reject) =>
    client.query(';', (error) =>
      error === undefined || error === null ? resolve() : reject(error),
    ),
  );
}

/**
 * Runs one statement on `client`, through its prepared statements unless they are off. One at
 * a time per client: statements of one transaction started together run in call order, each
 * deciding what to prepare or deallocate when the client is free. With `timeoutMs`, a
 * statement without an answer by then fails (`DB_QUERY_TIMEOUT`) and the client is stalled:
 * closed when returned, and refusing further statements.
 */
function runOn<R>(
  client: PgPoolClient,
  tracked: Tracked,
  text: string,
  values: readonly unknown[],
  timeoutMs: number | undefined,
  callback: QueryCallback<R>,
): void {
  if (tracked.busy) {
    tracked.waiting ??= [];
    tracked.waiting.push(() => runOn(client, tracked, text, values, timeoutMs, callback));
    return;
  }
  if (tracked.stalled) {
    callback(queryTimeout(text, timeoutMs));
    return;
  }
  tracked.busy = true;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const settle: QueryCallback<R> = (error, answer) => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    tracked.busy = false;
    if (error !== undefined && tracked.lost) markConnectionLost(error);
    tracked.waiting?.shift()?.();
    callback(error, answer);
  };
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      tracked.stalled = true;
      settle(queryTimeout(text, timeoutMs));
    }, timeoutMs);
  }
  const prepared = tracked.prepared;
  if (prepared !== undefined) {
    prepared.run(client, text, values as unknown[], settle);
    return;
  }
  client.query(text, values as unknown[], (error, r) =>
    error === undefined || error === null ? settle(undefined, toResult<R>(r)) : settle(error),
  );
}

function queryTimeout(text: string, timeoutMs: number | undefined): DeadlineExceededError {
  return new DeadlineExceededError(
    `${statementName(text)}: no answer within ${timeoutMs} ms (query timeout)`,
    { code: 'DB_QUERY_TIMEOUT', details: [{ statement: statementName(text) }] },
  );
}

/** The `pg.Pool` settings for resolved options. */
function poolConfig(o: ResolvedPgPoolOptions): PgPoolConfig {
  return {
    ...(o.connectionString === undefined ? {} : { connectionString: o.connectionString }),
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.user === undefined ? {} : { user: o.user }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.database === undefined ? {} : { database: o.database }),
    ...(o.ssl === undefined ? {} : { ssl: o.ssl === false ? false : { ...o.ssl } }),
    ...(o.applicationName === undefined ? {} : { application_name: o.applicationName }),
    min: o.minSize,
    max: o.maxSize,
    connectionTimeoutMillis: o.acquireTimeoutMs,
    idleTimeoutMillis: o.idleTimeoutMs,
    ...(o.maxUses === undefined ? {} : { maxUses: o.maxUses }),
    ...(o.maxLifetimeMs === undefined
      ? {}
      : { maxLifetimeSeconds: Math.max(1, Math.round(o.maxLifetimeMs / 1000)) }),
    ...(o.statementTimeoutMs === undefined ? {} : { statement_timeout: o.statementTimeoutMs }),
  };
}
