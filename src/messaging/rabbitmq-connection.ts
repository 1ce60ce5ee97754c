import type { ChannelModel } from 'amqplib';
import type { Logger } from '../core/logger.js';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { maskSecrets } from '../internal/redaction.js';
import { describeBroker, type RabbitMqSettings } from './rabbitmq-settings.js';

type Amqplib = typeof import('amqplib');

interface Waiter {
  readonly resolve: (model: ChannelModel) => void;
  readonly reject: (error: Error) => void;
  /** Rejected at once when the broker refuses the credentials or the vhost. */
  readonly failFast: boolean;
}

// Refusals that retrying cannot fix: wrong credentials, a vhost that does not exist.
const FATAL = /ACCESS_REFUSED|NOT_ALLOWED|PLAIN login refused|vhost .* not found/i;

/** Why a connection failed, in words that hold no secret. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return maskSecrets(text.split('\n')[0] as string);
}

/**
 * One AMQP connection kept open: reconnects with exponential backoff after it drops, and
 * tells the publisher and the consumers each time it is (re)opened so that they re-declare
 * their queues and reopen their channels. amqplib's own recovery reopens only the
 * connection, and its `close()` waits for a broker that may never answer: both are why
 * this loop is ours.
 */
export class RabbitMqConnection {
  readonly #settings: RabbitMqSettings;
  readonly #logger: Logger | undefined;
  readonly #onOpen = new Set<(model: ChannelModel) => void>();
  readonly #waiters = new Set<Waiter>();
  #amqp: Amqplib | undefined;
  #model: ChannelModel | undefined;
  #connecting = false;
  #closed = false;
  #attempt = 0;
  #opened = false;
  #timer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;

  constructor(settings: RabbitMqSettings, logger?: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  /** `host:port vhost /`. */
  get endpoint(): string {
    return describeBroker(this.#settings);
  }

  /** The open connection, if there is one now. */
  get model(): ChannelModel | undefined {
    return this.#model;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Why the last attempt failed or the connection dropped (no secret). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Calls `listener` with each connection opened from now on; returns what unsubscribes it. */
  onOpen(listener: (model: ChannelModel) => void): () => void {
    this.#onOpen.add(listener);
    return () => this.#onOpen.delete(listener);
  }

  /**
   * Opens the first connection: resolves once open, or rejects after `connectTimeout`
   * (at once when the broker refuses the credentials or the vhost) with
   * `DependencyUnavailableError` (`BROKER_UNAVAILABLE`) naming the host and the reason.
   */
  async open(): Promise<void> {
    this.#amqp ??= await importOptionalPeer(
      'amqplib',
      'RabbitMQ messaging',
      () => import('amqplib'),
    );
    this.#connect();
    await this.waitOpen(this.#settings.connectTimeout * 1000, true);
  }

  /** The open connection, waiting up to `ms` for one; rejects (`BROKER_UNAVAILABLE`) after. */
  waitOpen(ms: number, failFast = false): Promise<ChannelModel> {
    if (this.#model !== undefined) return Promise.resolve(this.#model);
    if (this.#closed) return Promise.reject(this.unavailable('the connection is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (m: ChannelModel) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          reject(e);
        },
        failFast,
      };
      const timer = setTimeout(
        () => waiter.reject(this.unavailable(`not connected within ${ms / 1000} s`)),
        ms,
      );
      this.#waiters.add(waiter);
    });
  }

  /** The error of a broker that cannot be used now, with the host and the reason. */
  unavailable(why: string, queue?: string): DependencyUnavailableError {
    const last = this.#lastError === undefined ? '' : ` (last error: ${this.#lastError})`;
    const on = queue === undefined ? '' : ` for queue ${queue}`;
    return new DependencyUnavailableError(
      `RabbitMQ at ${this.endpoint} is unavailable${on}: ${why}${last}`,
      {
        code: 'BROKER_UNAVAILABLE',
        details: [
          {
            host: this.#settings.host,
            port: this.#settings.port,
            vhost: this.#settings.vhost,
            ...(queue === undefined ? {} : { queue }),
            reason: why,
            lastError: this.#lastError ?? null,
          },
        ],
      },
    );
  }

  /**
   * Closes the connection, waiting at most `ms` for the broker to answer; after that the
   * socket is destroyed. Never hangs on a dead or frozen broker.
   */
  async close(ms: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of [...this.#waiters]) w.reject(this.unavailable('the connection was closed'));
    const model = this.#model;
    this.#model = undefined;
    if (model === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    const outcome = await Promise.race([
      model.close().then(
        () => 'closed',
        () => 'closed',
      ),
      timeout,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') destroySocket(model);
  }

  #connect(): void {
    if (this.#closed || this.#connecting || this.#model !== undefined) return;
    this.#connecting = true;
    const s = this.#settings;
    const amqp = this.#amqp as Amqplib;
    amqp
      .connect(
        {
          protocol: s.tls ? 'amqps' : 'amqp',
          hostname: s.host,
          port: s.port,
          username: s.user,
          password: s.password,
          vhost: s.vhost,
          heartbeat: s.heartbeat,
        },
        {
          timeout: s.connectTimeout * 1000,
          noDelay: true,
          clientProperties: { product: 'libretto' },
        },
      )
      .then(
        (model) => this.#established(model),
        (error: unknown) => this.#failed(error),
      )
      .finally(() => {
        this.#connecting = false;
      });
  }

  #established(model: ChannelModel): void {
    if (this.#closed) {
      void model.close().catch(() => destroySocket(model));
      return;
    }
    this.#model = model;
    this.#attempt = 0;
    model.on('error', (error: unknown) => {
      this.#lastError = reasonOf(error);
    });
    model.on('close', (error?: unknown) => {
      if (this.#model !== model) return;
      this.#model = undefined;
      // A heartbeat timeout only ends the stream: make sure the socket is gone.
      destroySocket(model);
      if (this.#closed) return;
      this.#lastError = error === undefined ? 'closed by the broker' : reasonOf(error);
      this.#logger?.warn(
        { host: this.#settings.host, vhost: this.#settings.vhost, reason: this.#lastError },
        'RabbitMQ connection lost; reconnecting',
      );
      this.#schedule();
    });
    if (this.#opened) {
      this.#logger?.info(
        { host: this.#settings.host, vhost: this.#settings.vhost },
        'RabbitMQ connection re-established',
      );
    }
    this.#opened = true;
    for (const w of [...this.#waiters]) w.resolve(model);
    for (const listener of [...this.#onOpen]) listener(model);
  }

  #failed(error: unknown): void {
    this.#lastError = reasonOf(error);
    if (this.#closed) return;
    if (!this.#opened && FATAL.test(this.#lastError)) {
      const refused = this.unavailable('the broker refused the connection');
      for (const w of [...this.#waiters]) {
        if (w.failFast) w.reject(refused);
      }
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const s = this.#settings;
    const base = Math.min(s.reconnectMaxDelay, s.reconnectDelay * 2 ** this.#attempt) * 1000;
    this.#attempt++;
    // ±20% jitter, so that many clients of one broker do not reconnect in step.
    const delay = base * (0.8 + Math.random() * 0.4);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect();
    }, delay);
  }
}

function destroySocket(model: ChannelModel): void {
  const stream = (model.connection as unknown as { stream?: { destroy?: () => void } }).stream;
  stream?.destroy?.();
}
