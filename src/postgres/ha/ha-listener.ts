import type { NotificationListener } from '../connection-pool.js';
import { listenStatement } from '../notification-channel.js';
import type { HostPool } from './host-pool.js';
import type { PoolManager } from './pool-manager.js';

/**
 * A `LISTEN` that follows the master: held on the master's host, moved to the new master
 * after a failover (notifications are sent where the writes commit), with `onNotify('')`
 * after each move for what was missed. Without a master it waits for the next one.
 */
export class HaListener implements NotificationListener {
  readonly #manager: PoolManager;
  readonly #channel: string;
  readonly #onNotify: (payload: string) => void;
  #host: HostPool | undefined;
  #listener: NotificationListener | undefined;
  /** Moves run one after another: events may come faster than a listen opens. */
  #moving: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  private constructor(manager: PoolManager, channel: string, onNotify: (payload: string) => void) {
    this.#manager = manager;
    this.#channel = channel;
    this.#onNotify = onNotify;
  }

  /** Listening on the master once it resolves; waits for one up to the acquire timeout. */
  static async open(
    manager: PoolManager,
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<HaListener> {
    listenStatement('listen', channel);
    await manager.ready(1, 0, manager.acquireTimeoutMs);
    const listener = new HaListener(manager, channel, onNotify);
    await listener.#follow(false);
    listener.#unsubscribe = manager.onEvent(() => listener.#schedule());
    return listener;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    await this.#moving;
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }

  #schedule(): void {
    this.#moving = this.#moving
      .then(() => this.#follow(true))
      .catch(() => {
        // The new master refused the listen: the next event (or check) tries again.
        this.#host = undefined;
      });
  }

  async #follow(moved: boolean): Promise<void> {
    if (this.#closed) return;
    const master = this.#manager.getMasterPools()[0];
    if (master === this.#host) return;
    const old = this.#listener;
    this.#listener = undefined;
    this.#host = undefined;
    await old?.close();
    if (master === undefined) return;
    const listener = await master.connections.listen(this.#channel, this.#onNotify);
    if (this.#closed) {
      await listener.close();
      return;
    }
    this.#listener = listener;
    this.#host = master;
    if (moved) this.#onNotify('');
  }
}
