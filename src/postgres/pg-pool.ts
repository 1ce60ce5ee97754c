import type { Pool, PoolClient, PoolConfig, QueryResult } from 'pg';
import { DependencyUnavailableError, InvalidOperationError } from '../errors/application-errors.js';
import type { ConnectionPool, PooledConnection, Row, StatementResult } from './connection-pool.js';
import { mustDiscard } from './error-mapping.js';
import { PreparedStatements, type QueryCallback, toResult } from './prepared-statements.js';
import { queryOnConnection } from './query-on-connection.js';

/** Pool settings of the `pg` driver (SPEC PG-6). */
export interface PgPoolOptions {
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly minSize?: number;
  readonly maxSize?: number;
  /** How long `acquire` waits for a free connection before failing. */
  readonly acquireTimeoutMs?: number;
  /** Idle connections above `minSize` close after this long. */
  readonly idleTimeoutMs?: number;
  /** A connection is replaced after this many uses (`max_queries`). */
  readonly maxUses?: number;
  /** A connection is replaced after this age. */
  readonly maxLifetimeMs?: number;
  /** Checks a connection idle for longer than this before handing it out (0 = always). */
  readonly prePingIdleMs?: number | false;
  /** Server-side statement timeout. */
  readonly statementTimeoutMs?: number;
  /**
   * Client-side limit on waiting for a statement's answer (a frozen host or a silent
   * partition sends nothing back); the connection is then closed, not reused.
   */
  readonly queryTimeoutMs?: number;
  /** TLS: false, or node's TLS options (from `sslmode`). */
  readonly ssl?: false | { readonly rejectUnauthorized: boolean };
  /** Shown in `pg_stat_activity`. */
  readonly applicationName?: string;
  /** Runs named prepared statements for repeated statements (off for PgBouncer in transaction mode). */
  readonly prepare?: boolean;
  /** Prepared statements kept per connection. */
  readonly preparedCacheSize?: number;
  /** Runs once on every new connection before its first use (type parsers, `search_path`). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
}

type Done = (release?: boolean | Error) => void;

interface Generation {
  current: number;
}

interface Tracked {
  /** The driver's generation when the connection was made; older ones are closed, not reused. */
  readonly generation: number;
  init: Promise<void> | undefined;
  lastUsed: number;
  prepared: PreparedStatements | undefined;
  /** A statement is in flight; later ones wait here (pg's implicit queue is deprecated). */
  busy: boolean;
  waiting: (() => void)[] | undefined;
}

/** The `pg` (node-postgres) driver: one `pg.Pool`, named prepared statements per connection. */
export class PgPool implements ConnectionPool {
  readonly kind = 'pg';
  readonly #pool: Pool;
  readonly #options: PgPoolOptions;
  readonly #tracked = new WeakMap<PoolClient, Tracked>();
  /** Shared with its connections: those of an older generation are closed on release. */
  readonly #generation: Generation = { current: 0 };

  private constructor(pool: Pool, options: PgPoolOptions) {
    this.#pool = pool;
    this.#options = options;
    // An idle client whose server went away emits an error: the pool drops it; nothing to do.
    pool.on('error', () => {});
  }

  static async create(options: PgPoolOptions): Promise<PgPool> {
    let pg: typeof import('pg').default;
    try {
      pg = (await import('pg')).default;
    } catch (error) {
      throw new DependencyUnavailableError('The pg driver needs the pg package (npm install pg)', {
        cause: error,
      });
    }
    const config: PoolConfig = {
      ...(options.connectionString === undefined
        ? {}
        : { connectionString: options.connectionString }),
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.database === undefined ? {} : { database: options.database }),
      ...(options.ssl === undefined
        ? {}
        : { ssl: options.ssl === false ? false : { ...options.ssl } }),
      ...(options.applicationName === undefined
        ? {}
        : { application_name: options.applicationName }),
      min: options.minSize ?? 0,
      max: options.maxSize ?? 10,
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      ...(options.maxUses === undefined ? {} : { maxUses: options.maxUses }),
      ...(options.maxLifetimeMs === undefined
        ? {}
        : { maxLifetimeSeconds: Math.max(1, Math.round(options.maxLifetimeMs / 1000)) }),
      ...(options.statementTimeoutMs === undefined
        ? {}
        : { statement_timeout: options.statementTimeoutMs }),
      ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
    };
    return new PgPool(new pg.Pool(config), options);
  }

  /** Connections that can be handed out without waiting (idle, or not opened yet). */
  get freeSize(): number {
    const pool = this.#pool;
    return Math.max(0, (this.#options.maxSize ?? 10) - pool.totalCount + pool.idleCount);
  }

  /**
   * Retires every connection open now: idle ones are closed when next taken, checked-out ones
   * when returned (the HA manager calls this when a host changes role or goes away).
   */
  discardConnections(): void {
    this.#generation.current++;
  }

  /** Connections open / idle / callers waiting, for metrics and tests. */
  get stats(): { total: number; idle: number; waiting: number } {
    return {
      total: this.#pool.totalCount,
      idle: this.#pool.idleCount,
      waiting: this.#pool.waitingCount,
    };
  }

  async acquire(): Promise<PooledConnection> {
    for (let attempt = 0; ; ) {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw this.#acquireError(error);
      }
      const tracked = this.#track(client);
      const connection = new PgConnection(client, tracked, this.#generation);
      if (tracked.generation !== this.#generation.current) {
        connection.release(true); // retired: close it, take another
        continue;
      }
      try {
        if (tracked.init !== undefined) await tracked.init;
        if (this.#needsPing(tracked)) await client.query(';');
        return connection;
      } catch (error) {
        connection.release(true);
        // A dead pooled connection: take another, once per pool slot at most.
        if (++attempt > (this.#options.maxSize ?? 10)) throw error;
      }
    }
  }

  /**
   * One statement on a pooled connection, released the moment its result arrives (the path
   * of every call outside a transaction). Falls back to `acquire` when the connection needs
   * its init hook or a pre-ping first.
   */
  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) => {
      const generation = this.#generation;
      const onClient = (error: Error | undefined, client: PoolClient | undefined, done: Done) => {
        if ((error !== undefined && error !== null) || client === undefined) {
          reject(this.#acquireError(error));
          return;
        }
        const tracked = this.#track(client);
        if (tracked.generation !== generation.current) {
          done(true); // retired: close it, take another
          this.#pool.connect(onClient);
          return;
        }
        const finish: QueryCallback<R> = (failure, answer) => {
          const discard = failure !== undefined && mustDiscard(failure);
          done(discard || tracked.generation !== generation.current ? true : undefined);
          if (failure === undefined) resolve(answer as StatementResult<R>);
          else reject(failure);
        };
        const ready =
          tracked.init ??
          (this.#needsPing(tracked) ? client.query(';').then(() => undefined) : undefined);
        if (ready === undefined) {
          runOn(client, tracked, text, values, finish);
          return;
        }
        ready.then(
          () => runOn(client, tracked, text, values, finish),
          () => {
            // A dead pooled connection (or a failed init): drop it, take another.
            done(true);
            this.#slowQuery<R>(text, values).then(resolve, reject);
          },
        );
      };
      this.#pool.connect(onClient);
    });
  }

  async #slowQuery<R>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return queryOnConnection<R>(await this.acquire(), text, values);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /** Pre-ping: a connection used before and idle for at least `prePingIdleMs`. */
  #needsPing(tracked: Tracked): boolean {
    const ping = this.#options.prePingIdleMs ?? false;
    return ping !== false && tracked.lastUsed > 0 && Date.now() - tracked.lastUsed >= ping;
  }

  #acquireError(error: unknown): DependencyUnavailableError {
    const exhausted =
      error instanceof Error && /timeout exceeded when trying to connect/.test(error.message);
    return new DependencyUnavailableError(
      exhausted
        ? `No database connection free within ${this.#options.acquireTimeoutMs ?? 5_000} ms (pool of ${this.#options.maxSize ?? 10})`
        : 'Cannot connect to the database',
      { cause: error },
    );
  }

  #track(client: PoolClient): Tracked {
    let tracked = this.#tracked.get(client);
    if (tracked === undefined) {
      tracked = {
        generation: this.#generation.current,
        init: undefined,
        lastUsed: 0,
        busy: false,
        waiting: undefined,
        prepared:
          this.#options.prepare === false
            ? undefined
            : new PreparedStatements(this.#options.preparedCacheSize ?? 100),
      };
      this.#tracked.set(client, tracked);
      // A connection lost while checked out also emits 'error'; the caller's query reports it.
      client.on('error', () => {});
      const onConnect = this.#options.onConnect;
      if (onConnect !== undefined) {
        const t = tracked;
        // Deferred: a hook that throws synchronously rejects instead of escaping a pool callback.
        t.init = Promise.resolve()
          .then(() =>
            onConnect(
              new PgConnection(
                client,
                { ...t, prepared: undefined, waiting: undefined },
                this.#generation,
              ),
            ),
          )
          .then(() => {
            t.init = undefined;
          });
      }
    }
    return tracked;
  }
}

/** One checked-out `pg` client. */
class PgConnection implements PooledConnection {
  #released = false;
  constructor(
    private readonly client: PoolClient,
    private readonly tracked: Tracked,
    private readonly generation: Generation,
  ) {}

  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    if (this.#released) {
      return Promise.reject(new InvalidOperationError('This connection was returned to the pool'));
    }
    return new Promise((resolve, reject) =>
      runOn<R>(this.client, this.tracked, text, values, (error, answer) =>
        error === undefined ? resolve(answer as StatementResult<R>) : reject(error),
      ),
    );
  }

  release(broken = false): void {
    if (this.#released) return;
    this.#released = true;
    const retired = this.tracked.generation !== this.generation.current;
    this.client.release(broken || retired ? true : undefined);
  }
}

/**
 * Runs one statement on `client`, through its prepared statements unless they are off. One at
 * a time per connection: statements of one transaction started together run in call order,
 * each deciding what to prepare or deallocate when the connection is free.
 */
function runOn<R>(
  client: PoolClient,
  tracked: Tracked,
  text: string,
  values: readonly unknown[],
  callback: QueryCallback<R>,
): void {
  if (tracked.busy) {
    tracked.waiting ??= [];
    tracked.waiting.push(() => runOn(client, tracked, text, values, callback));
    return;
  }
  tracked.busy = true;
  tracked.lastUsed = Date.now();
  const settle: QueryCallback<R> = (error, answer) => {
    tracked.busy = false;
    tracked.waiting?.shift()?.();
    callback(error, answer);
  };
  const prepared = tracked.prepared;
  if (prepared !== undefined) {
    prepared.run(client, text, values as unknown[], settle);
    return;
  }
  client.query(text, values as unknown[], (error: Error | undefined, r: QueryResult) =>
    error === undefined || error === null ? settle(undefined, toResult<R>(r)) : settle(error),
  );
}
