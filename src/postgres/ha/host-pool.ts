import { Socket } from 'node:net';
import type { LibrettoError } from '../../errors/libretto-error.js';
import type { PgPool } from '../pg-pool.js';
import type { BalancerCandidate } from './balancer-policy.js';
import { checkConnectionLost, checkFailed, checkTimedOut } from './ha-errors.js';
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
  /** The last check failure reported, so that a host down for long is reported once. */
  #lastFailure: string | undefined;

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
        this.#failed(checkTimedOut(this.address, timeoutMs));
      } else {
        this.#lastFailure = undefined;
      }
      this.status = status;
    } catch (error) {
      this.#closeCheckConnection();
      this.status = undefined;
      this.#failed(checkFailed(this.address, error));
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

  /** Reports a failed check, unless it failed the same way last time. */
  #failed(error: LibrettoError): void {
    const reason = error.message;
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
