import { importOptionalPeer } from '../internal/optional-peer.js';
import { connectFailure, connectTarget } from './connect-failure.js';
import type { NotificationListener } from './connection-pool.js';
import { listenStatement } from './notification-channel.js';
import { poolConfig, type ResolvedPgPoolOptions } from './pg-pool-options.js';

/** `pg.Client` as far as a listener uses it. */
interface PgListenClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
}

type PgClientModule = { default: { Client: new (config: object) => PgListenClient } };

// Re-listen quickly after a blip, but do not hammer a server that is down.
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * `LISTEN` on a `pg.Client` of its own, outside the pool (a pooled connection is shared and
 * would lose the listen when returned). A lost connection is reopened with backoff, and
 * `onNotify('')` is called once listening again, for the notifications missed meanwhile.
 */
export class PgListener implements NotificationListener {
  readonly #options: ResolvedPgPoolOptions;
  readonly #address: string;
  readonly #statement: string;
  readonly #channel: string;
  readonly #onNotify: (payload: string) => void;
  #client: PgListenClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_FIRST_MS;
  #closed = false;

  private constructor(
    options: ResolvedPgPoolOptions,
    address: string,
    channel: string,
    onNotify: (payload: string) => void,
  ) {
    this.#options = options;
    this.#address = address;
    this.#statement = listenStatement('listen', channel);
    this.#channel = channel;
    this.#onNotify = onNotify;
  }

  /** Listening once it resolves; a first connection that fails rejects (`DATABASE_CONNECT_FAILED`). */
  static async open(
    options: ResolvedPgPoolOptions,
    address: string,
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<PgListener> {
    const listener = new PgListener(options, address, channel, onNotify);
    await listener.#connect();
    return listener;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const pg = (
      (await importOptionalPeer(
        'pg',
        'The PostgreSQL server backend',
        () => import('pg'),
      )) as unknown as PgClientModule
    ).default;
    const { min, max, idleTimeoutMillis, maxUses, maxLifetimeSeconds, Client, ...config } =
      poolConfig(this.#options);
    const client = new pg.Client({
      ...config,
      connectionTimeoutMillis: this.#options.acquireTimeoutMs,
      // A server that vanished without a word is noticed, and the listen reopened.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    let connected = false;
    let lost = false;
    const onLost = () => {
      // Errors while connecting are the caller's (the open or the retry loop).
      if (lost || !connected) return;
      lost = true;
      client.end().catch(() => undefined);
      if (this.#client === client) this.#client = undefined;
      this.#retry();
    };
    client.on('error', onLost);
    try {
      await client.connect();
      await client.query(this.#statement);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connectFailure(connectTarget(this.#options, this.#address), error as Error);
    }
    connected = true;
    client.on('end', onLost);
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#onNotify(message.payload ?? '');
    });
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#retryMs = RETRY_FIRST_MS;
  }

  #retry(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => {
          if (!this.#closed) this.#onNotify('');
        },
        () => {
          this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
          this.#retry();
        },
      );
    }, this.#retryMs);
    this.#timer.unref();
  }
}
