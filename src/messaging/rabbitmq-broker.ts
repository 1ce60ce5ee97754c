import type { Logger } from '../core/logger.js';
import { invalidOption } from '../errors/invalid-option.js';
import type { Broker, ConsumeOptions, Consumer, MessageHandler, SendOptions } from './broker.js';
import { ConfirmPublisher, type QueueSpec } from './confirm-publisher.js';
import { startConsumer } from './consumer-start.js';
import { createEnvelope, encodeEnvelope, type MessageEnvelope } from './message-envelope.js';
import { encodePlain } from './plain-message.js';
import { checkQueueName } from './queue-name.js';
import { RabbitMqConnection } from './rabbitmq-connection.js';
import { RabbitMqConsumer, retryQueue } from './rabbitmq-consumer.js';
import { describeBroker, type RabbitMqSettings } from './rabbitmq-settings.js';
import { consumeArguments } from './retry-policy.js';
import { consumePlainMessages, sendPlainMessage } from './short-form.js';

const SEND_KEYS = new Set(['id', 'key', 'type', 'headers', 'createdAt', 'delay', 'format']);
// Longer than AMQP's 255-byte queue names leave room for.
// A delay queue outlives its last declaration by its delay plus this margin.
const DELAY_QUEUE_MARGIN_MS = 60_000;

/** Options of {@link RabbitMqBroker.connect} beside the settings. */
export interface RabbitMqBrokerOptions {
  /** Where connection losses, retries and dead letters are logged (none by default). */
  readonly logger?: Logger;
}

/**
 * The {@link Broker} on RabbitMQ (amqplib, an optional peer loaded on first use). Sends use
 * publisher confirms over a bounded pool of channels and survive reconnects: a message not
 * yet confirmed when the connection drops is published again once it is back, and a send
 * rejects only after `sendTimeout`. Every queue name gets `queuePrefix`; queues are durable,
 * messages persistent. Retries go through one TTL queue per backoff delay
 * (`<queue>.retry.<ms>`) that dead-letters back to the queue; dead messages go to
 * `<queue>.dead-letter` with the reason in their headers.
 *
 * @example
 * const broker = await RabbitMqBroker.connect(resolveRabbitMqSettings({}, { url: 'amqp://localhost' }));
 * await broker.send('orders', { orderId: 42 });
 * await broker.close();
 */
export class RabbitMqBroker implements Broker {
  readonly #settings: RabbitMqSettings;
  readonly #connection: RabbitMqConnection;
  readonly #publisher: ConfirmPublisher;
  readonly #consumers = new Set<RabbitMqConsumer>();
  readonly #specs = new Map<string, QueueSpec>();
  readonly #logger: Logger | undefined;
  readonly #ready: Promise<void>;
  #closing: Promise<void> | undefined;

  /**
   * Starts connecting in the background; sends and consumers wait for the connection
   * (within their timeouts). {@link RabbitMqBroker.connect} also waits for the first one.
   */
  constructor(settings: RabbitMqSettings, options: RabbitMqBrokerOptions = {}) {
    this.#settings = settings;
    this.#logger = options.logger;
    this.#connection = new RabbitMqConnection(settings, options.logger);
    this.#publisher = new ConfirmPublisher(
      this.#connection,
      settings.channelPoolSize,
      settings.sendTimeout * 1000,
    );
    this.#ready = this.#connection.open();
    this.#ready.catch(() => {}); // reported by `ready()`, or by the sends that wait
  }

  /**
   * Connects to the broker; rejects with `DependencyUnavailableError` (`BROKER_UNAVAILABLE`,
   * naming host, port and vhost and why) when no connection opens within `connectTimeout`,
   * or at once when the broker refuses the credentials or the vhost.
   */
  static async connect(
    settings: RabbitMqSettings,
    options: RabbitMqBrokerOptions = {},
  ): Promise<RabbitMqBroker> {
    const broker = new RabbitMqBroker(settings, options);
    try {
      await broker.ready();
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  /**
   * Resolves once the first connection is open; rejects with `DependencyUnavailableError`
   * (`BROKER_UNAVAILABLE`) when none opens within `connectTimeout`, or at once when the
   * broker refuses the credentials or the vhost.
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** The settings in effect (the password is not enumerable). */
  get settings(): RabbitMqSettings {
    return this.#settings;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#connection.model !== undefined;
  }

  /** Sends not yet confirmed by the broker. */
  get pendingSends(): number {
    return this.#publisher.pending;
  }

  /** The name of `queue` on the broker: the prefix, then the name. */
  queueName(queue: string): string {
    return `${this.#settings.queuePrefix}${queue}`;
  }

  /** How `queue` is declared: durable, with its `queueArguments` (made once per queue). */
  #queueSpec(queue: string): QueueSpec {
    let spec = this.#specs.get(queue);
    if (spec === undefined) {
      const args = this.#settings.queueArguments[queue];
      spec = {
        name: this.queueName(queue),
        options: args === undefined ? { durable: true } : { durable: true, arguments: { ...args } },
        once: true,
      };
      this.#specs.set(queue, spec);
    }
    return spec;
  }

  async send<T>(queue: string, data: T, options: SendOptions = {}): Promise<MessageEnvelope<T>> {
    checkQueueName('send', queue);
    for (const key of Object.keys(options)) {
      if (!SEND_KEYS.has(key)) invalidOption(`send(${queue})`, key, 'unknown option');
    }
    const delay = options.delay ?? 0;
    if (!Number.isInteger(delay) || delay < 0) {
      invalidOption(`send(${queue})`, 'delay', 'must be a whole number of milliseconds, 0 or more');
    }
    const plain = options.format === 'json';
    if (!plain && options.format !== undefined && options.format !== 'envelope') {
      invalidOption(`send(${queue})`, 'format', "must be 'envelope' or 'json'");
    }
    const envelope = createEnvelope(data, options);
    const main = this.#queueSpec(queue);
    const name = main.name;
    let target = main;
    if (delay > 0) {
      // The queue the delayed message expires into must exist when it does.
      await this.#publisher.declare(main);
      target = retryQueue(name, delay, delay + DELAY_QUEUE_MARGIN_MS);
    }
    await this.#publisher.publish(
      target,
      plain ? encodePlain(data) : encodeEnvelope(envelope),
      {
        messageId: envelope.id,
        contentType: 'application/json',
        timestamp: Math.floor(Date.parse(envelope.createdAt) / 1000),
        ...(envelope.type === null ? {} : { type: envelope.type }),
        // A plain message has nowhere else for its headers.
        ...(plain && Object.keys(envelope.headers).length > 0 ? { headers: envelope.headers } : {}),
      },
      envelope.key,
    );
    return envelope;
  }

  async consume<T = unknown>(
    queue: string,
    handler: MessageHandler<T>,
    options: ConsumeOptions<T> = {},
  ): Promise<Consumer> {
    const policy = consumeArguments(
      queue,
      handler,
      options as ConsumeOptions<unknown>,
      this.#settings.prefetch,
    );
    if (this.#closing !== undefined)
      throw this.#connection.unavailable('the broker is closed', queue);
    const consumer = new RabbitMqConsumer(
      {
        connection: this.#connection,
        publisher: this.#publisher,
        fullName: (q) => this.queueName(q),
        queueSpec: (q) => this.#queueSpec(q),
        stopTimeoutMs: this.#settings.stopTimeout * 1000,
        logger: this.#logger,
        onStopped: (c) => this.#consumers.delete(c),
      },
      queue,
      handler as MessageHandler<unknown>,
      policy,
      options.schema,
    );
    return startConsumer(this.#consumers, consumer, () =>
      consumer.start(this.#settings.sendTimeout * 1000),
    );
  }

  sendMessage(queue: string, data: unknown): Promise<void> {
    return sendPlainMessage(this, queue, data);
  }

  consumeMessages<T = unknown>(queue: string, handler: (data: T) => unknown): Promise<Consumer> {
    return consumePlainMessages(this, queue, handler);
  }

  checkHealth(): void {
    if (this.#closing !== undefined) throw this.#connection.unavailable('the broker is closed');
    if (this.#connection.model === undefined) throw this.#connection.unavailable('not connected');
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const bound = this.#settings.stopTimeout * 1000;
    const deadline = Date.now() + bound;
    // Consumers first: their retries and dead letters still need the publisher.
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    await this.#publisher.close(Math.max(0, deadline - Date.now()));
    await this.#connection.close(Math.max(1000, deadline - Date.now()));
    this.#logger?.info({ broker: describeBroker(this.#settings) }, 'RabbitMQ connection closed');
  }
}
