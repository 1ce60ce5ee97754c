import type { Channel, ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import {
  DependencyFailureError,
  DependencyTimeoutError,
  type DependencyUnavailableError,
} from '../errors/application-errors.js';
import { type RabbitMqConnection, reasonOf } from './rabbitmq-connection.js';
import { writeCoalescer } from './write-coalescing.js';

/** A queue as it is declared: its name and arguments. */
export interface QueueSpec {
  readonly name: string;
  readonly options: Options.AssertQueue;
  /** Declared once per connection (false: before every publish, for queues that expire). */
  readonly once: boolean;
}

interface Publication {
  readonly target: QueueSpec;
  readonly content: Buffer;
  readonly options: Options.Publish;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  settled: boolean;
  published: boolean;
  returned: boolean;
  redeclared: boolean;
}

interface Slot {
  channel: ConfirmChannel | undefined;
  /** Waiting to be published, in order; resends go back to the front. */
  queue: Publication[];
  /** Published on `channel`, waiting for the broker's confirm, by message id. */
  readonly unconfirmed: Map<string, Publication>;
  /** Confirms the closing channel failed: put back in order once it has closed. */
  resend: Publication[];
  pumping: boolean;
}

// A refusal of the broker (bad arguments, no permission): retrying cannot help.
const REFUSAL = /\b(40[0-9]|PRECONDITION|ACCESS.REFUSED|NOT.FOUND|RESOURCE.LOCKED)\b/;

/**
 * Publishes with confirms over a bounded pool of channels. A publication resolves only when
 * the broker confirms it; one whose channel or connection drops before the confirm is
 * published again, in order, once the connection is back; one not confirmed within the send
 * timeout rejects. Messages with one key go through one channel, which keeps their order.
 */
export class ConfirmPublisher {
  readonly #connection: RabbitMqConnection;
  readonly #slots: Slot[];
  readonly #sendTimeoutMs: number;
  readonly #pending = new Set<Publication>();
  #declared = new Map<string, Promise<void>>();
  #topology: Promise<Channel> | undefined;
  #next = 0;
  #closed = false;

  constructor(connection: RabbitMqConnection, poolSize: number, sendTimeoutMs: number) {
    this.#connection = connection;
    this.#sendTimeoutMs = sendTimeoutMs;
    this.#slots = Array.from({ length: poolSize }, () => ({
      channel: undefined,
      queue: [],
      unconfirmed: new Map(),
      resend: [],
      pumping: false,
    }));
    connection.onOpen(() => {
      // A new connection: queues are declared again before their next publish.
      this.#declared = new Map();
      this.#topology = undefined;
      for (const slot of this.#slots) void this.#pump(slot);
    });
  }

  /** Publications not yet confirmed or failed. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Channels open now. */
  get openChannels(): number {
    return this.#slots.filter((s) => s.channel !== undefined).length;
  }

  /**
   * Publishes `content` to `target` (declared first) and resolves on the broker's confirm.
   * `options.messageId` must be set: a returned (unroutable) message is matched by it.
   */
  publish(
    target: QueueSpec,
    content: Buffer,
    options: Options.Publish & { messageId: string },
    key?: string | null,
  ): Promise<void> {
    if (this.#closed) {
      return Promise.reject(this.#connection.unavailable('the broker is closed', target.name));
    }
    const slot = this.#slots[
      key === undefined || key === null
        ? this.#next++ % this.#slots.length
        : hash(key) % this.#slots.length
    ] as Slot;
    return new Promise<void>((resolve, reject) => {
      const publication: Publication = {
        target,
        content,
        options: { ...options, persistent: true, mandatory: true },
        resolve: () => {
          if (publication.settled) return;
          this.#settle(publication);
          resolve();
        },
        reject: (error) => {
          if (publication.settled) return;
          this.#settle(publication);
          reject(error);
        },
        timer: setTimeout(
          () => publication.reject(this.#timeout(publication)),
          this.#sendTimeoutMs,
        ),
        settled: false,
        published: false,
        returned: false,
        redeclared: false,
      };
      this.#pending.add(publication);
      slot.queue.push(publication);
      void this.#pump(slot);
    });
  }

  /** Declares `spec` on the current connection (once per connection when `spec.once`). */
  declare(spec: QueueSpec): Promise<void> {
    const known = spec.once ? this.#declared.get(spec.name) : undefined;
    if (known !== undefined) return known;
    const declaring = this.#declare(spec);
    if (spec.once) {
      this.#declared.set(spec.name, declaring);
      declaring.catch(() => this.#declared.delete(spec.name));
    }
    return declaring;
  }

  /**
   * Stops publishing: waits up to `ms` for the pending publications to be confirmed, then
   * rejects the rest (`BROKER_UNAVAILABLE`, the broker is closed).
   */
  async close(ms: number): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + ms;
    while (this.#pending.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    for (const p of [...this.#pending]) {
      p.reject(
        this.#connection.unavailable('the broker was closed before confirming', p.target.name),
      );
    }
  }

  async #declare(spec: QueueSpec): Promise<void> {
    const model = await this.#connection.waitOpen(this.#sendTimeoutMs);
    this.#topology ??= this.#openTopology(model);
    const channel = await this.#topology;
    try {
      await channel.assertQueue(spec.name, spec.options);
    } catch (error) {
      const reason = reasonOf(error);
      if (!REFUSAL.test(reason)) throw error;
      throw new DependencyFailureError(
        `RabbitMQ at ${this.#connection.endpoint} refused to declare queue ${spec.name}: ${reason}`,
        {
          code: 'BROKER_TOPOLOGY',
          details: [{ queue: spec.name, reason }],
          cause: error,
        },
      );
    }
  }

  async #openTopology(model: ChannelModel): Promise<Channel> {
    const topology = this.#topology;
    try {
      const channel = await model.createChannel();
      channel.on('error', () => {}); // reported by the failed declaration itself
      channel.on('close', () => {
        if (this.#topology === topology || this.#topology === undefined) this.#topology = undefined;
      });
      return channel;
    } catch (error) {
      this.#topology = undefined;
      throw error;
    }
  }

  async #pump(slot: Slot): Promise<void> {
    if (slot.pumping) return;
    slot.pumping = true;
    try {
      while (slot.queue.length > 0) {
        const first = slot.queue[0] as Publication;
        if (first.settled) {
          slot.queue.shift();
          continue;
        }
        const model = this.#connection.model;
        if (model === undefined) return; // resumed by the next connection
        const channel = slot.channel ?? (await this.#openChannel(slot, model));
        try {
          await this.declare(first.target);
        } catch (error) {
          if (error instanceof DependencyFailureError) {
            slot.queue.shift();
            first.reject(error);
            continue;
          }
          return; // the connection dropped: resumed by the next one
        }
        if (slot.channel !== channel || slot.queue[0] !== first) continue;
        slot.queue.shift();
        if (first.settled) continue;
        first.published = true;
        const id = first.options.messageId as string;
        slot.unconfirmed.set(id, first);
        let flowing: boolean;
        try {
          flowing = channel.publish('', first.target.name, first.content, first.options, (err) =>
            this.#confirmed(slot, first, err),
          );
          // After the publish: its frames' flush must be scheduled before the uncork.
          writeCoalescer(model)();
        } catch {
          // The channel died under us (its close event is on its way): publish again later.
          slot.unconfirmed.delete(id);
          first.published = false;
          slot.queue.unshift(first);
          if (slot.channel === channel) slot.channel = undefined;
          return;
        }
        if (!flowing) await drained(channel);
      }
    } catch {
      // Opening a channel failed: the connection is going; the next one resumes.
    } finally {
      slot.pumping = false;
    }
  }

  async #openChannel(slot: Slot, model: ChannelModel): Promise<ConfirmChannel> {
    const channel = await model.createConfirmChannel();
    slot.channel = channel;
    channel.on('error', () => {}); // the close that follows is what matters
    channel.on('return', (message: Message) => {
      const p = slot.unconfirmed.get(message.properties.messageId as string);
      if (p !== undefined) p.returned = true;
    });
    channel.on('close', () => {
      // amqplib has failed this channel's unconfirmed callbacks already (its own listener
      // runs first): they wait in `resend`, in publish order.
      if (slot.channel === channel) slot.channel = undefined;
      const again = [...slot.resend, ...slot.unconfirmed.values()].filter((p) => !p.settled);
      slot.queue.unshift(...again);
      slot.resend = [];
      slot.unconfirmed.clear();
      if (this.#connection.model !== undefined && !this.#closed) void this.#pump(slot);
    });
    return channel;
  }

  #confirmed(slot: Slot, p: Publication, err: unknown): void {
    slot.unconfirmed.delete(p.options.messageId as string);
    if (p.settled) return;
    if (err === null || err === undefined) {
      if (!p.returned) {
        p.resolve();
        return;
      }
      // Unroutable: the queue was deleted since it was declared. Declare it again, once.
      p.returned = false;
      if (!p.redeclared) {
        p.redeclared = true;
        this.#declared.delete(p.target.name);
        slot.queue.unshift(p);
        void this.#pump(slot);
        return;
      }
      p.reject(
        this.#rejected(
          p,
          'the message was unroutable: the queue does not exist and cannot be declared',
        ),
      );
      return;
    }
    if (err instanceof Error && err.message === 'message nacked') {
      p.reject(this.#rejected(p, 'the broker refused the message (nack)'));
      return;
    }
    slot.resend.push(p); // the channel closed before the confirm: publish it again
  }

  #settle(p: Publication): void {
    p.settled = true;
    clearTimeout(p.timer);
    this.#pending.delete(p);
  }

  #rejected(p: Publication, why: string): DependencyFailureError {
    return new DependencyFailureError(
      `RabbitMQ at ${this.#connection.endpoint} did not take the message for queue ${p.target.name}: ${why}`,
      { code: 'BROKER_SEND_REJECTED', details: [{ queue: p.target.name, reason: why }] },
    );
  }

  #timeout(p: Publication): DependencyTimeoutError | DependencyUnavailableError {
    const state =
      this.#connection.model === undefined
        ? `not connected${this.#connection.lastError === undefined ? '' : ` (last error: ${this.#connection.lastError})`}`
        : p.published
          ? 'published, no confirm from the broker'
          : 'waiting to be published';
    const seconds = this.#sendTimeoutMs / 1000;
    return new DependencyTimeoutError(
      `RabbitMQ at ${this.#connection.endpoint} did not confirm a message for queue ${p.target.name} within ${seconds} s: ${state}`,
      {
        code: 'BROKER_SEND_TIMEOUT',
        details: [{ queue: p.target.name, timeout: seconds, state, published: p.published }],
      },
    );
  }
}

/** Waits until `channel` can take more, or closes. */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}

/** FNV-1a: a cheap, stable spread of keys over the channels. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
