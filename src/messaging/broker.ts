import type * as z from 'zod';
import { token } from '../di/token.js';
import type { EnvelopeFields, MessageEnvelope } from './message-envelope.js';
import type { MessageFormat } from './plain-message.js';

/** How a message is sent, beside its payload. */
export interface SendOptions extends EnvelopeFields {
  /**
   * Milliseconds before the message becomes visible to consumers (0: at once). The broker
   * holds it meanwhile; a restart of the sender loses nothing.
   */
  readonly delay?: number | undefined;
  /**
   * `envelope` (default), or `json`: the payload alone, for consumers that read plain JSON
   * (rococo's processors); the id and type go as AMQP properties, the key is not carried.
   */
  readonly format?: MessageFormat | undefined;
}

/** Backoff between the tries of a failed message: `initialDelay × factor^(try-1)`, capped. */
export interface BackoffOptions {
  /** Milliseconds before the first retry (1000). */
  readonly initialDelay?: number;
  /** Growth per retry (2). */
  readonly factor?: number;
  /** Cap in milliseconds (60000). */
  readonly maxDelay?: number;
}

/** How a queue is consumed. */
export interface ConsumeOptions<T = unknown> {
  /** Messages delivered and not yet acknowledged at most: the handlers running at once (the `rabbitmq:` `prefetch`, 10). */
  readonly prefetch?: number;
  /** Tries after the first, each after its backoff delay, before the message is dead-lettered (3). */
  readonly retries?: number;
  readonly backoff?: BackoffOptions;
  /** The queue dead messages go to, with the reason in their headers (`<queue>.dead-letter`). */
  readonly deadLetter?: string;
  /**
   * `envelope` (default): other bodies are poison. `json`: any JSON body is the payload
   * (what rococo's `send_message` sends); its id is the `message-id` property, a new one
   * when there is none — such messages cannot be deduped by an inbox.
   */
  readonly format?: MessageFormat;
  /**
   * Validates `data` before the handler sees it (a zod schema): a message that fails is
   * dead-lettered at once with the first issue as its reason, never retried.
   */
  readonly schema?: z.ZodType<T>;
}

/** A message as a handler receives it: its envelope plus where it is in its tries. */
export interface ReceivedMessage<T = unknown> extends MessageEnvelope<T> {
  /** The queue it came from (as given to `consume`, without the prefix). */
  readonly queue: string;
  /** 1 on the first try, then 2, 3… up to `retries + 1`. */
  readonly attempt: number;
  /** The broker delivered it before and it was not acknowledged (a consumer died, a connection dropped). */
  readonly redelivered: boolean;
  /** Aborted when the consumer stops and its grace period is over: stop the work, it will be redelivered. */
  readonly signal: AbortSignal;
}

/**
 * Handles one message. Resolving acknowledges it; throwing (or rejecting) retries it after
 * its backoff, and after the last try dead-letters it with the error as the reason.
 */
export type MessageHandler<T = unknown> = (message: ReceivedMessage<T>) => unknown;

/** A running subscription to a queue. */
export interface Consumer {
  readonly queue: string;
  /** Handlers running now. */
  readonly inFlight: number;
  /**
   * Stops taking messages, lets the running handlers finish within the grace period
   * (the `rabbitmq:` `stop_timeout`), and acknowledges nothing unfinished: those messages
   * go back to the queue. Resolves once stopped; calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

/**
 * A message broker: sends messages to queues and consumes them with acknowledgement,
 * retries with backoff and dead-lettering. Implemented by `RabbitMqBroker` and `SqsBroker`;
 * also the DI token under which `RabbitMqService` and `SqsService` provide them.
 *
 * Delivery is at least once: a handler may see a message twice (a redelivery after a lost
 * connection), so handlers dedupe on `message.id` or are idempotent.
 *
 * @example
 * const broker = await this.getDependency(Broker);
 * await broker.send('orders', { orderId: 42 }, { key: 'customer-7', type: 'OrderPlaced' });
 * await broker.consume('orders', async (message) => ship(message.data), { retries: 5 });
 */
export interface Broker {
  /**
   * Sends `data` in an envelope to `queue` (declared if needed). Resolves with the envelope
   * once the broker has the message (persisted and confirmed); rejects with a typed error
   * naming the host and the queue when it cannot within the send timeout — the message
   * may then still arrive, so retry with the same `id`.
   */
  send<T>(queue: string, data: T, options?: SendOptions): Promise<MessageEnvelope<T>>;
  /** Consumes `queue` (declared if needed) until the returned consumer is stopped or the broker closed. */
  consume<T = unknown>(
    queue: string,
    handler: MessageHandler<T>,
    options?: ConsumeOptions<T>,
  ): Promise<Consumer>;
  /**
   * The short form of rococo's `send_message`: the payload alone as plain JSON (`format:
   * 'json'`), so rococo's consumers read it, and `consumeMessages` or a `json` consumer.
   */
  sendMessage(queue: string, data: unknown): Promise<void>;
  /**
   * The short form of rococo's `consume_messages`: reads plain JSON (`format: 'json'`, what
   * rococo's producers and `sendMessage` send), the handler given the payload only.
   */
  consumeMessages<T = unknown>(queue: string, handler: (data: T) => unknown): Promise<Consumer>;
  /** Throws (`DependencyUnavailableError`) while the broker cannot be used; for readiness. */
  checkHealth(): void;
  /** Stops every consumer (bounded), fails sends still unconfirmed, closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** The DI token of the application's {@link Broker} (provided by `RabbitMqService` or `SqsService`). */
export const Broker = token<Broker>('Broker');
