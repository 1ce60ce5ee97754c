import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import type * as z from 'zod';
import type { Logger } from '../core/logger.js';
import { maskSecrets } from '../internal/redaction.js';
import type { Consumer, MessageHandler } from './broker.js';
import type { ConfirmPublisher, QueueSpec } from './confirm-publisher.js';
import { decodeEnvelope, type MessageEnvelope } from './message-envelope.js';
import { HEADERS } from './message-headers.js';
import { decodePlain } from './plain-message.js';
import type { RabbitMqConnection } from './rabbitmq-connection.js';
import type { RetryPolicy } from './retry-policy.js';
import { writeCoalescer } from './write-coalescing.js';

/** What a consumer needs of its broker. */
export interface ConsumerContext {
  readonly connection: RabbitMqConnection;
  readonly publisher: ConfirmPublisher;
  /** The queue's name on the broker (with the prefix). */
  readonly fullName: (queue: string) => string;
  /** How a queue (its main or dead-letter queue) is declared. */
  readonly queueSpec: (queue: string) => QueueSpec;
  readonly stopTimeoutMs: number;
  readonly logger: Logger | undefined;
  /** Called once the consumer has stopped. */
  readonly onStopped: (consumer: RabbitMqConsumer) => void;
}

type Outcome = 'ack' | 'requeue';

/** The longest error text put in a header. */
const MAX_REASON = 1000;

/**
 * One subscription to a queue on its own channel: runs the handler per message with
 * `prefetch` at most at once, acks on success, republishes to a retry queue (a TTL queue that
 * dead-letters back to this one) on failure, and to the dead-letter queue with the reason
 * after the last try or at once for poison. Subscribes again on each new connection.
 */
export class RabbitMqConsumer implements Consumer {
  readonly queue: string;
  readonly #ctx: ConsumerContext;
  readonly #handler: MessageHandler<unknown>;
  readonly #policy: RetryPolicy;
  readonly #schema: z.ZodType | undefined;
  readonly #main: QueueSpec;
  readonly #retryQueues: readonly QueueSpec[];
  readonly #deadLetter: QueueSpec;
  readonly #running = new Set<AbortController>();
  readonly #unsubscribe: () => void;
  #channel: Channel | undefined;
  /** Sends this turn's acks in one write (see write-coalescing.ts). */
  #coalesce: () => void = () => {};
  #tag: string | undefined;
  #stopping: Promise<void> | undefined;
  #abandoned = false;

  constructor(
    ctx: ConsumerContext,
    queue: string,
    handler: MessageHandler<unknown>,
    policy: RetryPolicy,
    schema: z.ZodType | undefined,
  ) {
    this.queue = queue;
    this.#ctx = ctx;
    this.#handler = handler;
    this.#policy = policy;
    this.#schema = schema;
    this.#main = ctx.queueSpec(queue);
    const name = this.#main.name;
    // One queue per distinct delay: every message in it waits as long, so it leaves in order
    // (per-message TTLs in one queue would make a long delay hold up the short ones).
    this.#retryQueues = policy.delays.map((ms) => retryQueue(name, ms));
    this.#deadLetter = ctx.queueSpec(policy.deadLetter);
    this.#unsubscribe = ctx.connection.onOpen((model) => {
      if (this.#stopping === undefined)
        void this.#subscribe(model).catch((error) => this.#lost(error));
    });
  }

  get inFlight(): number {
    return this.#running.size;
  }

  /** Subscribes on the current connection (waiting up to `ms` for one). */
  async start(ms: number): Promise<void> {
    const model = await this.#ctx.connection.waitOpen(ms);
    await this.#subscribe(model);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #subscribe(model: ChannelModel): Promise<void> {
    const { publisher } = this.#ctx;
    // Topology, again on every connection: the broker may have lost it (a new node, a reset).
    for (const spec of [this.#main, this.#deadLetter, ...this.#retryQueues]) {
      await publisher.declare(spec);
    }
    const channel = await model.createChannel();
    channel.on('error', (error: unknown) => this.#lost(error));
    channel.on('close', () => {
      if (this.#channel !== channel) return; // closed by us
      this.#channel = undefined;
      this.#tag = undefined;
      // Closed by the broker (a channel error, an acknowledgement timeout) while the
      // connection may stay up: subscribe again on it. A lost connection's consumers are
      // subscribed again by the next connection instead (`onOpen`).
      this.#resubscribeLater(model, RESUBSCRIBE_FIRST_MS);
    });
    await channel.prefetch(this.#policy.prefetch);
    this.#channel = channel;
    this.#coalesce = writeCoalescer(model);
    const { consumerTag } = await channel.consume(
      this.#main.name,
      (message) => {
        if (message === null) {
          // The broker cancelled us (the queue was deleted): declare it and subscribe again.
          this.#ctx.logger?.warn({ queue: this.#main.name }, 'consumer cancelled by RabbitMQ');
          if (this.#channel === channel) this.#channel = undefined;
          void channel.close().catch(() => {});
          const current = this.#ctx.connection.model;
          if (current !== undefined && this.#stopping === undefined) {
            void this.#subscribe(current).catch((error) => this.#lost(error));
          }
          return;
        }
        if (this.#stopping !== undefined) return; // left unacked: back to the queue at close
        this.#handle(channel, message);
      },
      { noAck: false },
    );
    this.#tag = consumerTag;
    if (this.#stopping !== undefined) await this.#closeChannel(channel, Date.now() + 1000);
  }

  /**
   * Runs the handler, then acks (or requeues). Without promises for a handler that returns
   * none: a consumer of quick handlers spends most of its time here.
   */
  #handle(channel: Channel, message: ConsumeMessage): void {
    const controller = new AbortController();
    this.#running.add(controller);
    const finish = (outcome: Outcome): void => {
      this.#running.delete(controller);
      // A delivery tag belongs to its channel: after a reconnect the message is redelivered
      // anyway. After a stop's grace period nothing unfinished is acknowledged.
      if (this.#abandoned || channel !== this.#channel) return;
      try {
        if (outcome === 'ack') channel.ack(message);
        else channel.nack(message, false, true);
        this.#coalesce();
      } catch {
        // The channel closed meanwhile: the broker redelivers the message.
      }
    };
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = this.#process(message, controller.signal);
    } catch {
      outcome = 'requeue';
    }
    if (typeof outcome === 'string') finish(outcome);
    else outcome.then(finish, () => finish('requeue'));
  }

  #process(message: ConsumeMessage, signal: AbortSignal): Outcome | Promise<Outcome> {
    let envelope: MessageEnvelope;
    let data: unknown;
    try {
      envelope =
        this.#policy.format === 'json'
          ? decodePlain(message.content, message.properties)
          : decodeEnvelope(message.content);
      data = this.#schema === undefined ? envelope.data : this.#parse(envelope.data);
    } catch (error) {
      return this.#deadLetterIt(message, reasonText(error), 1);
    }
    const headers = message.properties.headers ?? {};
    const attempt = Math.max(1, Number(headers[HEADERS.attempt] ?? 1) || 1);
    let result: unknown;
    try {
      result = this.#handler({
        ...envelope,
        data,
        queue: this.queue,
        attempt,
        redelivered: message.fields.redelivered,
        signal,
      });
    } catch (error) {
      return this.#failed(message, envelope, attempt, error);
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return 'ack';
    return Promise.resolve(result).then(
      (): Outcome => 'ack',
      (error: unknown) => this.#failed(message, envelope, attempt, error),
    );
  }

  /** A handler failed: requeue at stop, else a retry after backoff, else the dead letters. */
  #failed(
    message: ConsumeMessage,
    envelope: MessageEnvelope,
    attempt: number,
    error: unknown,
  ): Outcome | Promise<Outcome> {
    if (this.#abandoned) return 'requeue';
    const reason = reasonText(error);
    const retry = this.#retryQueues[attempt - 1];
    if (retry === undefined) {
      return this.#deadLetterIt(message, `handler failed ${attempt} times: ${reason}`, attempt);
    }
    this.#ctx.logger?.warn(
      { queue: this.queue, id: envelope.id, attempt, reason },
      'message handler failed; retrying after backoff',
    );
    return this.#republish(retry, message, {
      [HEADERS.attempt]: attempt + 1,
      [HEADERS.error]: reason,
    });
  }

  #parse(data: unknown): unknown {
    const result = (this.#schema as z.ZodType).safeParse(data);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path =
      issue === undefined || issue.path.length === 0 ? 'data' : `data.${issue.path.join('.')}`;
    throw new Error(`invalid data: ${path}: ${issue?.message ?? 'does not match the schema'}`);
  }

  #deadLetterIt(message: ConsumeMessage, reason: string, attempts: number): Promise<Outcome> {
    this.#ctx.logger?.error(
      { queue: this.queue, deadLetter: this.#deadLetter.name, reason },
      'message dead-lettered',
    );
    return this.#republish(this.#deadLetter, message, {
      [HEADERS.deadReason]: reason,
      [HEADERS.attempts]: attempts,
      [HEADERS.queue]: this.#main.name,
      [HEADERS.deadAt]: new Date().toISOString(),
    });
  }

  /** Publishes a copy (same body) with `extra` headers; `ack` once confirmed, else `requeue`. */
  async #republish(
    target: QueueSpec,
    message: ConsumeMessage,
    extra: Record<string, string | number>,
  ): Promise<Outcome> {
    const p = message.properties;
    const headers: Record<string, unknown> = {};
    // The broker's own dead-letter history grows with every pass through a retry queue.
    for (const [k, v] of Object.entries(p.headers ?? {})) {
      if (k !== 'x-death' && !k.startsWith('x-first-death') && !k.startsWith('x-last-death')) {
        headers[k] = v;
      }
    }
    const options: Options.Publish & { messageId: string } = {
      messageId: typeof p.messageId === 'string' ? p.messageId : randomUUID(),
      headers: { ...headers, ...extra },
      ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
      ...(p.type === undefined ? {} : { type: p.type }),
      ...(p.timestamp === undefined ? {} : { timestamp: p.timestamp }),
    };
    try {
      await this.#ctx.publisher.publish(target, message.content, options);
      return 'ack';
    } catch (error) {
      this.#ctx.logger?.warn(
        { queue: this.queue, target: target.name, reason: reasonText(error) },
        'could not republish a message; it goes back to its queue',
      );
      return 'requeue';
    }
  }

  async #stop(): Promise<void> {
    const deadline = Date.now() + this.#ctx.stopTimeoutMs;
    this.#unsubscribe();
    const channel = this.#channel;
    const tag = this.#tag;
    // No new deliveries; those already prefetched and not started go back at close.
    if (channel !== undefined && tag !== undefined) {
      await within(channel.cancel(tag), deadline);
    }
    while (this.#running.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    if (this.#running.size > 0) {
      this.#abandoned = true;
      this.#ctx.logger?.warn(
        { queue: this.queue, unfinished: this.#running.size },
        'consumer stopped with handlers still running; their messages go back to the queue',
      );
      for (const controller of this.#running) controller.abort();
    }
    if (channel !== undefined)
      await this.#closeChannel(channel, Math.max(deadline, Date.now() + 1000));
    this.#ctx.onStopped(this);
  }

  async #closeChannel(channel: Channel, deadline: number): Promise<void> {
    if (this.#channel === channel) this.#channel = undefined;
    await within(channel.close(), deadline);
  }

  #lost(error: unknown): void {
    this.#ctx.logger?.warn(
      { queue: this.queue, reason: reasonText(error) },
      'consumer channel failed; it subscribes again',
    );
  }

  /**
   * Subscribes again on `model` after `ms`, unless by then the consumer stops, has a channel,
   * or the connection is another one (whose `onOpen` subscribes). A failed try doubles the wait.
   */
  #resubscribeLater(model: ChannelModel, ms: number): void {
    if (this.#stopping !== undefined) return;
    setTimeout(() => {
      if (this.#stopping !== undefined || this.#channel !== undefined) return;
      if (this.#ctx.connection.model !== model) return;
      this.#subscribe(model).catch((error: unknown) => {
        this.#lost(error);
        this.#resubscribeLater(model, Math.min(ms * 2, RESUBSCRIBE_MAX_MS));
      });
    }, ms).unref();
  }
}

// Waits before subscribing again after the broker closed a consumer's channel.
const RESUBSCRIBE_FIRST_MS = 500;
const RESUBSCRIBE_MAX_MS = 30_000;

/** The retry queue of `queue` for a delay of `ms`: its messages return to `queue` after it. */
export function retryQueue(queue: string, ms: number, expires?: number): QueueSpec {
  return {
    name: `${queue}.${expires === undefined ? 'retry' : 'delay'}.${ms}`,
    options: {
      durable: true,
      arguments: {
        'x-message-ttl': ms,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
        ...(expires === undefined ? {} : { 'x-expires': expires }),
      },
    },
    once: expires === undefined,
  };
}

/** Resolves when `promise` settles or at `deadline`, whichever is first; never rejects. */
async function within(promise: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    }),
  ]);
  clearTimeout(timer);
}

function reasonText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const masked = maskSecrets(text);
  return masked.length > MAX_REASON ? `${masked.slice(0, MAX_REASON)}…` : masked;
}
