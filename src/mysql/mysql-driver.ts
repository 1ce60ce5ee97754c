import { DependencyUnavailableError } from '../errors/application-errors.js';
import { DeadlineExceededError } from '../errors/infrastructure-errors.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { type Checkout, CheckoutTimer } from '../postgres/checkout-timer.js';
import { type ConnectTarget, connectFailure, connectTimeout } from '../postgres/connect-failure.js';
import type {
  PooledConnection,
  Row,
  StatementCallback,
  StatementResult,
} from '../postgres/connection-pool.js';
import { statementName } from '../postgres/error-mapping.js';
import type { ConnectCallback, PoolDriver } from '../postgres/runtime-pool.js';
import { mysqlEngine } from './mysql-engine.js';
import { isMysqlConnectionError, mustDiscardMysql, mysqlErrno } from './mysql-error-mapping.js';
import { mysqlAddress, type ResolvedMysqlPoolOptions } from './mysql-pool-options.js';
import type {
  MysqlAnswer,
  MysqlClient,
  MysqlClientConfig,
  MysqlColumn,
  MysqlModule,
} from './mysql-types.js';

/** One server connection of the pool and what the pool knows of it. */
interface Slot {
  readonly client: MysqlClient;
  /** When it was opened (ms since epoch): replaced after `maxLifetimeMs`. */
  readonly created: number;
  /** The pool's generation when it was opened; older ones are closed, not reused. */
  readonly generation: number;
  /** When it was last returned: pre-ping and the idle timeout decide from it. */
  lastUsed: number;
  uses: number;
  /** Its socket is gone (an `error` or `end` event, or a fatal statement error). */
  lost: boolean;
  /** A statement timed out on it and may still run: never reused. */
  stalled: boolean;
}

/** A caller waiting for a connection. */
interface Waiter {
  readonly checkout: Checkout;
  readonly callback: ConnectCallback;
}

/**
 * The `mysql2` backend under `MysqlPool`: a pool of its own over `mysql2` connections (whose
 * pool has no acquire timeout, use limit, lifetime or pre-ping), every session in UTC, values
 * typed back as `pg` types them (BIGINT and DECIMAL as strings, TINYINT(1) as boolean, JSON
 * parsed, DATETIME and TIMESTAMP as Date), server-side prepared statements for statements with
 * values (`mysql2` keeps the most recently used per connection, closing the others).
 */
export class MysqlDriver implements PoolDriver {
  readonly kind = 'mysql';
  readonly engine = mysqlEngine;
  /** `host:port`, for messages. */
  readonly address: string;
  #mysql: MysqlModule | undefined;
  readonly #idle: Slot[] = [];
  readonly #waiting: Waiter[] = [];
  /** Connections open or being opened: at most `maxSize`. */
  #open = 0;
  /** Connections open (handshake done). */
  #connected = 0;
  #generation = 0;
  #closed = false;
  #reaper: NodeJS.Timeout | undefined;
  readonly #checkouts: CheckoutTimer;
  readonly #target: ConnectTarget;

  constructor(readonly options: ResolvedMysqlPoolOptions) {
    this.address = mysqlAddress(options);
    this.#checkouts = new CheckoutTimer(options.acquireTimeoutMs);
    this.#target = { address: this.address, database: options.database, user: options.user };
  }

  async init(): Promise<void> {
    const loaded = (await importOptionalPeer(
      'mysql2',
      'The MySQL backend (libretto/mysql)',
      () => import('mysql2'),
    )) as unknown as { default: MysqlModule };
    this.#mysql = loaded.default;
    const idle = this.options.idleTimeoutMs;
    const every = Math.max(1_000, Math.min(idle === 0 ? 60_000 : idle, 60_000) / 2);
    this.#reaper = setInterval(() => this.#reap(), every);
    this.#reaper.unref();
  }

  /** Connections open / idle / callers waiting, for metrics and tests. */
  get stats(): { total: number; idle: number; waiting: number } {
    const waiting = this.#waiting.filter((w) => !w.checkout.settled).length;
    return { total: this.#open, idle: this.#idle.length, waiting };
  }

  /** Retires every connection open now: idle ones closed when next taken, others when returned. */
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

  connect(_options: unknown, callback: ConnectCallback): void {
    const waiter: Waiter = {
      checkout: this.#checkouts.start(() => callback(this.#timedOut())),
      callback,
    };
    this.#serve(waiter);
  }

  /** One statement on a connection returned as soon as it answers. */
  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) =>
      this.connect(undefined, (error, acquired) => {
        if (error !== undefined) {
          reject(error);
          return;
        }
        const connection = acquired as MysqlConnection;
        connection.run<R>(text, values, (failure, result) => {
          connection.release(failure !== undefined && mustDiscardMysql(failure));
          if (failure === undefined) resolve(result as StatementResult<R>);
          else reject(failure);
        });
      }),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reaper !== undefined) clearInterval(this.#reaper);
    const idle = this.#idle.splice(0);
    await Promise.all(idle.map((slot) => this.#destroy(slot)));
  }

  /** A connection for `waiter`: an idle one (checked first when idle a while), a new one, or a wait. */
  #serve(waiter: Waiter): void {
    for (;;) {
      const slot = this.#idle.pop();
      if (slot === undefined) break;
      if (this.#retired(slot)) {
        void this.#destroy(slot);
        continue;
      }
      if (this.#needsPing(slot)) {
        slot.client.ping((error) => {
          if (error === null || error === undefined) this.#give(slot, waiter);
          else {
            slot.lost = true;
            void this.#destroy(slot);
            if (!waiter.checkout.expired) this.#serve(waiter);
          }
        });
        return;
      }
      this.#give(slot, waiter);
      return;
    }
    if (this.#open < this.options.maxSize) this.#openSlot(waiter);
    else this.#waiting.push(waiter);
  }

  #give(slot: Slot, waiter: Waiter): void {
    if (waiter.checkout.expired) {
      this.#return(slot, false); // the caller gave up: to the next one
      return;
    }
    waiter.checkout.settled = true;
    slot.uses++;
    waiter.callback(undefined, new MysqlConnection(slot, this));
  }

  #openSlot(waiter: Waiter): void {
    this.#open++;
    const client = (this.#mysql as MysqlModule).createConnection(this.#clientConfig());
    const failed = (error: Error): void => {
      this.#open--;
      client.destroy();
      if (!waiter.checkout.expired) {
        waiter.checkout.settled = true;
        waiter.callback(connectFailure(this.#target, error));
      }
      this.#wake();
    };
    client.once('error', failed);
    client.once('connect', () => {
      client.removeListener('error', failed);
      this.#connected++;
      const slot: Slot = {
        client,
        created: Date.now(),
        generation: this.#generation,
        lastUsed: 0,
        uses: 0,
        lost: false,
        stalled: false,
      };
      client.on('error', (error) => {
        slot.lost = true;
        const at = this.#idle.indexOf(slot);
        if (at >= 0 && error !== undefined) {
          // Nobody holds it: drop it now, and say so.
          this.#idle.splice(at, 1);
          void this.#destroy(slot);
          this.options.onIdleError(error, this.address);
        }
      });
      client.on('end', () => {
        slot.lost = true;
      });
      this.#initialize(slot).then(
        () => this.#give(slot, waiter),
        (error: unknown) => {
          slot.lost = true;
          void this.#destroy(slot);
          if (!waiter.checkout.expired) {
            waiter.checkout.settled = true;
            waiter.callback(error);
          }
        },
      );
    });
  }

  /** Every session in UTC, the statement timeout, then the user's hook. */
  async #initialize(slot: Slot): Promise<void> {
    const session = new MysqlConnection(slot, this);
    await session.query("SET time_zone = '+00:00'", []);
    const limit = this.options.statementTimeoutMs;
    if (limit !== undefined) {
      // MariaDB's variable in seconds; MySQL's (SELECT only) in milliseconds.
      await session.query(`SET SESSION max_statement_time = ${limit / 1000}`, []).catch((error) => {
        if (mysqlErrno(error) !== 1193) throw error;
        return session.query(`SET SESSION max_execution_time = ${Math.round(limit)}`, []);
      });
    }
    await this.options.onConnect?.(session);
  }

  /** @internal For `MysqlConnection`: takes its connection back. */
  release(slot: Slot, broken: boolean): void {
    this.#return(slot, broken);
  }

  #return(slot: Slot, broken: boolean): void {
    if (broken || this.#closed || slot.lost || slot.stalled || this.#retired(slot)) {
      void this.#destroy(slot);
      this.#wake();
      return;
    }
    slot.lastUsed = Date.now();
    for (;;) {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) break;
      if (waiter.checkout.expired) continue;
      this.#give(slot, waiter);
      return;
    }
    this.#idle.push(slot);
  }

  /** A connection closed or failed to open: the next waiter may open one. */
  #wake(): void {
    if (this.#closed) return;
    for (;;) {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) return;
      if (waiter.checkout.expired) continue;
      this.#serve(waiter);
      return;
    }
  }

  #retired(slot: Slot): boolean {
    const { maxUses, maxLifetimeMs } = this.options;
    return (
      slot.generation !== this.#generation ||
      (maxUses !== undefined && slot.uses >= maxUses) ||
      (maxLifetimeMs !== undefined && Date.now() - slot.created >= maxLifetimeMs)
    );
  }

  #needsPing(slot: Slot): boolean {
    const ping = this.options.prePingIdleMs;
    return ping !== false && slot.lastUsed > 0 && Date.now() - slot.lastUsed >= ping;
  }

  /** Closes idle connections above `minSize` idle for `idleTimeoutMs`, and retired ones. */
  #reap(): void {
    const { idleTimeoutMs, minSize } = this.options;
    const now = Date.now();
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const slot = this.#idle[i] as Slot;
      const stale = idleTimeoutMs > 0 && now - slot.lastUsed >= idleTimeoutMs;
      if ((stale && this.#connected > minSize) || this.#retired(slot)) {
        this.#idle.splice(i, 1);
        void this.#destroy(slot);
      }
    }
  }

  #destroy(slot: Slot): Promise<void> {
    this.#open--;
    this.#connected--;
    if (slot.lost || slot.stalled) {
      slot.client.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      slot.client.end(() => {
        resolve();
      }),
    );
  }

  /** No connection within the acquire timeout: every slot busy, or one still opening. */
  #timedOut(): DependencyUnavailableError {
    const { acquireTimeoutMs, maxSize } = this.options;
    if (this.#connected >= maxSize) {
      return new DependencyUnavailableError(
        `No database connection free within ${acquireTimeoutMs} ms (pool of ${maxSize} to ${this.address})`,
        { code: 'POOL_EXHAUSTED' },
      );
    }
    return connectTimeout(this.#target, acquireTimeoutMs);
  }

  #clientConfig(): MysqlClientConfig {
    const o = this.options;
    return {
      ...(o.host === undefined ? {} : { host: o.host }),
      ...(o.port === undefined ? {} : { port: o.port }),
      ...(o.user === undefined ? {} : { user: o.user }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.database === undefined ? {} : { database: o.database }),
      ...(o.ssl === undefined || o.ssl === false ? {} : { ssl: { ...o.ssl } }),
      connectTimeout: o.acquireTimeoutMs === 0 ? 10_000 : o.acquireTimeoutMs,
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: false,
      maxPreparedStatements: o.preparedCacheSize,
    };
  }

  /** @internal The error of a statement whose connection was lost: names the server, never the password. */
  unavailable(error: unknown, text: string): DependencyUnavailableError {
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : 'connection lost';
    const { address, database } = this.#target;
    const name = statementName(text.replaceAll('`', ''));
    const where = database === undefined ? address : `database "${database}" at ${address}`;
    return new DependencyUnavailableError(`${name}: lost the connection to ${where} (${reason})`, {
      code: 'DB_UNAVAILABLE',
      cause: error,
      details: [{ statement: name, address, database: database ?? null, reason }],
    });
  }
}

const TINY = 1;

/**
 * The columns holding BOOLEAN (TINYINT(1) in MySQL), read back as booleans as `pg` reads
 * `bool`. Converted after the driver has built the rows: a `typeCast` function instead makes
 * `mysql2` call back per field of every row, which measured a third of a point read's CPU.
 */
function booleanColumns(columns: readonly MysqlColumn[] | undefined): string[] | undefined {
  if (columns === undefined) return undefined;
  const names = columns.filter((c) => c.columnType === TINY && c.columnLength === 1);
  return names.length === 0 ? undefined : names.map((c) => c.name);
}

function castBooleans(row: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const value = row[name];
    if (typeof value === 'number') row[name] = value !== 0;
  }
}

/** Values as `pg` takes them: undefined as NULL, bigint as text, objects and arrays as JSON. */
function toParams(values: readonly unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const param = toParam(value);
    if (param !== value) {
      out ??= values.slice();
      out[i] = param;
    }
  }
  return (out ?? values) as unknown[];
}

function toParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Date) &&
    !ArrayBuffer.isView(value)
  ) {
    return JSON.stringify(value);
  }
  return value;
}

function toResult<R>(
  answer: MysqlAnswer | undefined,
  columns: readonly MysqlColumn[] | undefined,
): StatementResult<R> {
  if (Array.isArray(answer)) {
    const booleans = booleanColumns(columns);
    if (booleans !== undefined) {
      for (const row of answer) castBooleans(row as Record<string, unknown>, booleans);
    }
    return { rows: answer as R[], rowCount: answer.length };
  }
  return { rows: [], rowCount: answer?.affectedRows ?? 0 };
}

/** One checked-out `mysql2` connection. */
class MysqlConnection implements PooledConnection {
  constructor(
    private readonly slot: Slot,
    private readonly driver: MysqlDriver,
  ) {}

  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return new Promise((resolve, reject) =>
      this.run<R>(text, values, (error, result) =>
        error === undefined ? resolve(result as StatementResult<R>) : reject(error),
      ),
    );
  }

  run<R = Row>(text: string, values: readonly unknown[], callback: StatementCallback<R>): void {
    const slot = this.slot;
    const driver = this.driver;
    const timeoutMs = driver.options.queryTimeoutMs;
    if (slot.stalled) {
      callback(queryTimeout(text, timeoutMs));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const answer = (
      error: Error | null | undefined,
      result?: MysqlAnswer,
      columns?: readonly MysqlColumn[],
    ): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (error === null || error === undefined) callback(undefined, toResult<R>(result, columns));
      else if (slot.lost || isMysqlConnectionError(error)) {
        slot.lost = true;
        callback(driver.unavailable(error, text));
      } else callback(error);
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        slot.stalled = true;
        callback(queryTimeout(text, timeoutMs));
      }, timeoutMs);
    }
    const client = slot.client;
    if (values.length === 0) client.query(text, answer);
    else if (driver.options.prepare) client.execute(text, toParams(values), answer);
    else client.query(text, toParams(values), answer);
  }

  /** The rows as the consumer takes them: `mysql2` pauses the socket while it does not. */
  async *stream<R = Row>(
    text: string,
    values: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<R> {
    const slot = this.slot;
    const running = slot.client.query(text, toParams(values));
    let booleans: string[] | undefined;
    running.once('fields', (columns) => {
      booleans = booleanColumns(columns);
    });
    let ended = false;
    const end = new Promise<void>((resolve) => {
      const done = () => {
        ended = true;
        resolve();
      };
      running.once('end', done);
      // A lost connection may fail the statement without an `end`.
      running.once('error', done);
    });
    try {
      for await (const row of running.stream({ highWaterMark: batchSize })) {
        if (booleans !== undefined) castBooleans(row as Record<string, unknown>, booleans);
        yield row as R;
      }
    } catch (error) {
      if (slot.lost || isMysqlConnectionError(error)) {
        slot.lost = true;
        throw this.driver.unavailable(error, text);
      }
      throw error;
    } finally {
      if (!ended && !slot.lost) {
        // Stopped early: no server-side cursor to close, so the rest is read and dropped.
        slot.client.resume();
        await end;
      }
    }
  }

  release(broken = false): void {
    this.driver.release(this.slot, broken);
  }
}

function queryTimeout(text: string, timeoutMs: number | undefined): DeadlineExceededError {
  return new DeadlineExceededError(
    `${statementName(text)}: no answer within ${timeoutMs} ms (query timeout)`,
    { code: 'DB_QUERY_TIMEOUT', details: [{ statement: statementName(text) }] },
  );
}
