import type { Logger } from '../core/logger.js';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { invalidOption } from '../errors/invalid-option.js';
import type { Broker, ConsumeOptions, Consumer, MessageHandler, SendOptions } from './broker.js';
import { startConsumer } from './consumer-start.js';
import { createEnvelope, encodeEnvelope, type MessageEnvelope } from './message-envelope.js';
import { encodePlain } from './plain-message.js';
import { checkQueueName } from './queue-name.js';
import { consumeArguments } from './retry-policy.js';
import { consumePlainMessages, sendPlainMessage } from './short-form.js';
import { envelopeAttributes, MAX_SQS_ATTRIBUTES } from './sqs-attributes.js';
import { isMissingQueue, SqsClient } from './sqs-client.js';
import { SqsConsumer } from './sqs-consumer.js';
import { sqsQueueName } from './sqs-queue-name.js';
import { describeSqs, resolveSqsSettings, type SqsSettings } from './sqs-settings.js';

const SEND_KEYS = new Set(['id', 'key', 'type', 'headers', 'createdAt', 'delay', 'format']);
/** SQS's limit on DelaySeconds. */
const MAX_DELAY_MS = 900_000;
/** The message group of FIFO messages sent without a key. */
const DEFAULT_GROUP = 'default';

/** Options of {@link SqsBroker.connect} beside the settings. */
export interface SqsBrokerOptions {
  /** Where failed receives, retries and dead letters are logged (none by default). */
  readonly logger?: Logger;
}

/** Settings given to {@link SqsBroker.connect}: any of {@link SqsSettings}, the rest defaults. */
export type SqsConnectSettings = {
  readonly [K in keyof SqsSettings]?: SqsSettings[K] | undefined;
};

/**
 * The {@link Broker} on Amazon SQS (`@aws-sdk/client-sqs`, an optional peer loaded on first
 * use) — rococo's `SqsConnection`. Queues are found by name (GetQueueUrl, once per name) and
 * created when missing, FIFO ones for names ending in `.fifo`; every name gets `queuePrefix`
 * and is made SQS-valid (`.` becomes `-`). The envelope is the body; its id, key, type and
 * headers also go as message attributes. On a FIFO queue the key is the message group (in
 * order per key) and the envelope id the deduplication id. Consumers long-poll, keep a
 * message invisible while its handler runs, delete it on success, retry by its visibility
 * timeout and dead-letter to `<queue>-dead-letter` — or leave that to SQS when the queue has a
 * RedrivePolicy.
 *
 * @example
 * const broker = await SqsBroker.connect({ region: 'us-east-1' });
 * await broker.sendMessage('queue_name', { message: 'data' });
 * await broker.consumeMessages('queue_name', (data) => console.log(data));
 */
export class SqsBroker implements Broker {
  readonly #settings: SqsSettings;
  readonly #opening: Promise<SqsClient>;
  #client: SqsClient | undefined;
  readonly #consumers = new Set<SqsConsumer>();
  readonly #logger: Logger | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Loads the SDK in the background; sends and consumers wait for it.
   * {@link SqsBroker.connect} also checks that SQS answers.
   */
  constructor(settings: SqsSettings, options: SqsBrokerOptions = {}) {
    this.#settings = settings;
    this.#logger = options.logger;
    this.#opening = SqsClient.open(settings).then((client) => {
      this.#client = client;
      return client;
    });
    this.#opening.catch(() => {}); // reported by the calls that wait for it
  }

  /**
   * Loads the SDK and checks that SQS answers (a ListQueues of at most one queue); rejects
   * with `DependencyUnavailableError` (`BROKER_UNAVAILABLE`, naming the endpoint or region and
   * why) when it does not, or `PACKAGE_NOT_INSTALLED` without `@aws-sdk/client-sqs`.
   * Settings not given come from the defaults and the AWS chain (region, credentials).
   */
  static async connect(
    settings: SqsConnectSettings = {},
    options: SqsBrokerOptions = {},
  ): Promise<SqsBroker> {
    const broker = new SqsBroker(resolveSqsSettings({}, settings), options);
    try {
      await broker.ping();
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  /** The settings in effect (the credentials are not enumerable). */
  get settings(): SqsSettings {
    return this.#settings;
  }

  /** The name of `queue` on SQS: the prefix, then the name, with `.` as `-` (but `.fifo`). */
  queueName(queue: string): string {
    return sqsQueueName(`queue ${queue}`, `${this.#settings.queuePrefix}${queue}`);
  }

  async send<T>(queue: string, data: T, options: SendOptions = {}): Promise<MessageEnvelope<T>> {
    checkQueueName('send', queue);
    const where = `send(${queue})`;
    for (const key of Object.keys(options)) {
      if (!SEND_KEYS.has(key)) invalidOption(where, key, 'unknown option');
    }
    const delay = options.delay ?? 0;
    if (!Number.isInteger(delay) || delay < 0) {
      invalidOption(where, 'delay', 'must be a whole number of milliseconds, 0 or more');
    }
    if (delay > MAX_DELAY_MS) {
      invalidOption(
        where,
        'delay',
        `must be at most ${MAX_DELAY_MS} ms: SQS delays a message 15 minutes at most`,
      );
    }
    const fifo = queue.endsWith('.fifo');
    if (fifo && delay > 0) {
      invalidOption(
        where,
        'delay',
        'is not possible per message on a FIFO queue (SQS delays those per queue)',
      );
    }
    const plain = options.format === 'json';
    if (!plain && options.format !== undefined && options.format !== 'envelope') {
      invalidOption(where, 'format', "must be 'envelope' or 'json'");
    }
    const name = this.queueName(queue);
    if (this.#closing !== undefined) throw this.#unavailable('the broker is closed', name);
    const envelope = createEnvelope(data, options);
    const { attributes, dropped } = envelopeAttributes(envelope, plain);
    if (dropped.length > 0) {
      invalidOption(
        where,
        'headers',
        `${dropped.join(', ')} cannot go as SQS message attributes (at most ${MAX_SQS_ATTRIBUTES}, names of letters, digits, -, _ and .), and a json message has nowhere else for them`,
      );
    }
    const client = await this.#opening;
    const body = plain ? encodePlain(data) : encodeEnvelope(envelope);
    const sendTo = async (url: string) =>
      client.call(
        new client.sdk.SendMessageCommand({
          QueueUrl: url,
          MessageBody: body.toString('utf8'),
          MessageAttributes: attributes,
          ...(delay > 0 ? { DelaySeconds: Math.ceil(delay / 1000) } : {}),
          ...(fifo
            ? { MessageGroupId: envelope.key ?? DEFAULT_GROUP, MessageDeduplicationId: envelope.id }
            : {}),
        }),
        name,
        'BROKER_SEND_REJECTED',
      );
    try {
      await sendTo(await client.queueUrl(name));
    } catch (error) {
      if (!isMissingQueue(error)) throw error;
      // The queue was deleted since its URL was cached: once more, on the queue made again.
      await sendTo(await client.queueUrl(name));
    }
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
    // Both names must fit SQS's rules before anything is created.
    this.queueName(queue);
    this.queueName(policy.deadLetter);
    if (this.#closing !== undefined)
      throw this.#unavailable('the broker is closed', this.queueName(queue));
    const client = await this.#opening;
    const consumer = new SqsConsumer(
      {
        client,
        fullName: (q) => this.queueName(q),
        stopTimeoutMs: this.#settings.stopTimeout * 1000,
        logger: this.#logger,
        onStopped: (c) => this.#consumers.delete(c),
      },
      queue,
      handler as MessageHandler<unknown>,
      policy,
      options.schema,
    );
    return startConsumer(this.#consumers, consumer, () => consumer.start());
  }

  sendMessage(queue: string, data: unknown): Promise<void> {
    return sendPlainMessage(this, queue, data);
  }

  consumeMessages<T = unknown>(queue: string, handler: (data: T) => unknown): Promise<Consumer> {
    return consumePlainMessages(this, queue, handler);
  }

  /** Throws while the broker is closed, or while its last request could not reach SQS. */
  checkHealth(): void {
    if (this.#closing !== undefined) throw this.#unavailable('the broker is closed');
    const failure = this.#client?.lastFailure;
    if (failure !== undefined) throw this.#unavailable(`the last request failed: ${failure}`);
  }

  /** Asks SQS for a cheap answer (ListQueues of one), then {@link SqsBroker.checkHealth}. */
  async ping(): Promise<void> {
    await (await this.#opening).ping();
    this.checkHealth();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    (await this.#opening.catch(() => undefined))?.close();
    this.#logger?.info({ broker: describeSqs(this.#settings) }, 'SQS broker closed');
  }

  #unavailable(why: string, queue?: string): DependencyUnavailableError {
    const where = describeSqs(this.#settings);
    const on = queue === undefined ? '' : ` for queue ${queue}`;
    return new DependencyUnavailableError(`${where} is unavailable${on}: ${why}`, {
      code: 'BROKER_UNAVAILABLE',
      details: [{ endpoint: where, ...(queue === undefined ? {} : { queue }), reason: why }],
    });
  }
}
