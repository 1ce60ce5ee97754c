import { Socket } from 'node:net';
import type { LibrettoError } from '../../errors/libretto-error.js';
import { failureReason } from '../connect-failure.js';
import type { PgPool } from '../pg-pool.js';
import type { BalancerCandidate } from './balancer-policy.js';
import {
  checkConnectionLost,
  checkFailed,
  checkTimedOut,
  connectionTerminated,
} from './ha-errors.js';
import {
  CHECK_SQL,
  type CheckClient,
  type CheckClientClass,
  type CheckClientConfig,
  type HostStatus,
  statusOfCheckRow,
} from './host-check.js';
import { Stopwatch } from './stopwatch.js';

/** What a {@link HostPool} is made of; the pool manager builds one per configured host. */
export interface HostPoolParts {
  /** Place in the configured host list. */
  readonly index: number;
  /** `host:port`. */
  readonly address: string;
  /** The host's connections for callers. */
  readonly connections: PgPool;
  /** How to open the host's check connection (without the socket, made per connection). */
  readonly checkConfig: Omit<CheckClientConfig, 'stream'>;
  /** `pg.Client`. */
  readonly Client: CheckClientClass;
  readonly stopwatchWindowSize: number;
  /**
   * Hears what goes wrong with the checks: a failed or unanswered check (once per distinct
   * failure until the host answers again), and the check connection failing while idle.
   */
  readonly onError?: (error: LibrettoError) => void;
}

/**
 * One host of an HA cluster: its pool of connections for callers, a connection of its own
 * for health checks (so a check never waits behind callers for a free one), what the last
 * check found and how fast the host answers.
 */
export class HostPool implements BalancerCandidate {
  /** Place in the configured host list. */
  readonly index: number;
  /** `host:port`. */
  readonly address: string;
  /** The host's connections for callers (a `PgPool`). */
  readonly connections: PgPool;
  /** Response times of the checks, over the last `stopwatchWindowSize` of them. */
  readonly stopwatch: Stopwatch;
  /** What the last check found; undefined while the host is unreachable. */
  status: HostStatus | undefined;
  /** Completed checks, successful or not (for `waitNextPoolCheck`). */
  checks = 0;
  // Private fields: the check config holds the password, which must not show in logs.
  readonly #checkConfig: Omit<CheckClientConfig, 'stream'>;
  readonly #Client: CheckClientClass;
  readonly #onError: (error: LibrettoError) => void;
  #check: { client: CheckClient; socket: Socket } | undefined;
  /** Why the last check failed (undefined once one succeeds): reported once, and shown in errors. */
  #lastFailure: string | undefined;
  /**
   * Told when the manager stops using the host in its role: its queued callers move on. A set
   * of listeners rather than a promise: a promise never settled in a healthy cluster would
   * keep a reaction per acquisition forever.
   */
  readonly #dropListeners = new Set<(reason: Error) => void>();
  /** Connections handed out and not returned, closed by {@link terminateCheckedOut}. */
  readonly #checkedOut = new Set<{ terminate(error: Error): void }>();

  constructor(parts: HostPoolParts) {
    this.index = parts.index;
    this.address = parts.address;
    this.connections = parts.connections;
    this.stopwatch = new Stopwatch(parts.stopwatchWindowSize);
    this.#checkConfig = parts.checkConfig;
    this.#Client = parts.Client;
    this.#onError = parts.onError ?? (() => {});
  }

  /** Connections the host's pool can hand out now without waiting. */
  get freeSize(): number {
    return this.connections.freeSize;
  }

  /**
   * Why the host's last check failed — `password authentication failed … (SQLSTATE 28P01)`,
   * `connection refused (ECONNREFUSED)`, `no answer within 1000 ms (timeout)` — or undefined once a check succeeds.
   * Never credentials.
   */
  get lastFailure(): string | undefined {
    return this.#lastFailure;
  }

  /**
   * Calls `listener` with the reason when the manager stops using this host in the role it
   * had (see {@link drop}); returns the function that stops listening.
   */
  onDrop(listener: (reason: Error) => void): () => void {
    const listeners = this.#dropListeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /**
   * The manager no longer uses the host in its role: its connections are retired (closed when
   * returned, never reused) and the callers queued on its pool are told, to be handed to the
   * new choice instead of waiting out the acquire timeout.
   */
  drop(reason: Error): void {
    this.connections.discardConnections();
    const listeners = [...this.#dropListeners];
    this.#dropListeners.clear();
    for (const listener of listeners) listener(reason);
  }

  /** @internal A connection handed out from this host, until returned ({@link untrack}). */
  track(connection: { terminate(error: Error): void }): void {
    this.#checkedOut.add(connection);
  }

  /** @internal The connection was returned. */
  untrack(connection: { terminate(error: Error): void }): void {
    this.#checkedOut.delete(connection);
  }

  /** Closes every connection handed out and not returned (`terminate()`). */
  terminateCheckedOut(): void {
    const error = connectionTerminated(this.address);
    for (const connection of [...this.#checkedOut]) connection.terminate(error);
    this.#checkedOut.clear();
  }

  /** Median response time of the checks (ms), once measured. */
  get medianResponseTime(): number | undefined {
    return this.stopwatch.median();
  }

  /**
   * Asks the host its role and WAL position over the check connection, (re)connecting it
   * when needed; gives up after `timeoutMs` (a frozen host answers nothing) and then closes
   * the check connection. Records the result and the response time.
   */
  async check(timeoutMs: number): Promise<HostStatus | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const status = await Promise.race([this.#ask(), expired]);
      if (status === undefined) {
        this.#closeCheckConnection();
        this.#failed(
          checkTimedOut(this.address, timeoutMs),
          `no answer within ${timeoutMs} ms (timeout)`,
        );
      } else {
        this.#lastFailure = undefined;
      }
      this.status = status;
    } catch (error) {
      this.#closeCheckConnection();
      this.status = undefined;
      this.#failed(checkFailed(this.address, error), failureReason(error));
    } finally {
      clearTimeout(timer);
      this.checks++;
    }
    return this.status;
  }

  /** Closes the check connection, then the pool once its connections are returned. */
  async close(): Promise<void> {
    this.#closeCheckConnection();
    this.status = undefined;
    await this.connections.close();
  }

  async #ask(): Promise<HostStatus> {
    let check = this.#check;
    if (check === undefined) {
      const socket = new Socket();
      const client = new this.#Client({ ...this.#checkConfig, stream: () => socket });
      const opened = { client, socket };
      this.#check = opened;
      client.on('error', (error) => {
        // pg emits 'error' for a failure outside a query: the connection died while idle
        // between checks (a failure during a check rejects the check instead). One already
        // closed by the check (a timeout) is not news.
        if (this.#check !== opened) return;
        this.#closeCheckConnection();
        this.#onError(checkConnectionLost(this.address, error));
      });
      await client.connect();
      check = opened;
    }
    const started = performance.now();
    const { rows } = await check.client.query(CHECK_SQL);
    this.stopwatch.add(performance.now() - started);
    return statusOfCheckRow(rows[0]);
  }

  /** Records why a check failed; reports it unless it failed the same way last time. */
  #failed(error: LibrettoError, reason: string): void {
    if (reason === this.#lastFailure) return;
    this.#lastFailure = reason;
    this.#onError(error);
  }

  /**
   * Closes the check connection without waiting for a host that may never answer: asks
   * politely, and destroys the socket at once, so a frozen host holds nothing of ours.
   */
  #closeCheckConnection(): void {
    const check = this.#check;
    if (check === undefined) return;
    this.#check = undefined;
    check.client.end().catch(() => {
      // The socket is destroyed just below: a failed goodbye changes nothing.
    });
    check.socket.destroy();
  }
}
