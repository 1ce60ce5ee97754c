// The RabbitMQ every messaging test runs against: the machine's on 127.0.0.1:5672
// (guest/guest), skipped loudly when absent and a failure under CI=true. Each test file
// uses its own queue-name prefix and deletes the queues it made.
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { RabbitMqBroker, type RabbitMqSettings, resolveRabbitMqSettings } from 'libretto/messaging';

export const RABBIT_HOST = '127.0.0.1';
export const RABBIT_PORT = 5672;

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(false));
    socket.connect(port, RABBIT_HOST);
  }).finally(() => undefined) as Promise<boolean>;
}

/** Whether RabbitMQ runs here; throws under CI=true when it does not. */
export async function rabbitAvailable(): Promise<boolean> {
  if (await reachable(RABBIT_PORT)) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      `RabbitMQ on ${RABBIT_HOST}:${RABBIT_PORT} is not reachable (required under CI=true)`,
    );
  }
  console.warn(`\n*** SKIPPED: RabbitMQ on ${RABBIT_HOST}:${RABBIT_PORT} is not reachable ***\n`);
  return false;
}

/** A prefix of queue names no other test run uses. */
export function uniquePrefix(file: string): string {
  return `libretto-test.${file}.${randomBytes(4).toString('hex')}.`;
}

/** Settings for the test broker, short timeouts so that faults show quickly. */
export function testSettings(overrides: Partial<Record<keyof RabbitMqSettings, unknown>> = {}) {
  return resolveRabbitMqSettings({}, {
    host: RABBIT_HOST,
    port: RABBIT_PORT,
    heartbeat: 1,
    connectTimeout: 3,
    sendTimeout: 10,
    stopTimeout: 3,
    reconnectDelay: 0.1,
    reconnectMaxDelay: 0.5,
    ...overrides,
  } as Parameters<typeof resolveRabbitMqSettings>[1]);
}

/** A plain amqplib connection for looking at queues from outside the broker under test. */
export class QueueInspector {
  readonly #names = new Set<string>();
  private constructor(
    readonly model: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(): Promise<QueueInspector> {
    const model = await amqp.connect(`amqp://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}`);
    const channel = await model.createChannel();
    return new QueueInspector(model, channel);
  }

  /** Remembers `name` to delete it at the end. */
  track(...names: string[]): void {
    for (const n of names) this.#names.add(n);
  }

  /** Messages waiting in `queue` (undefined when it does not exist). */
  async count(queue: string): Promise<number | undefined> {
    const probe = await this.model.createChannel();
    probe.on('error', () => {});
    try {
      return (await probe.checkQueue(queue)).messageCount;
    } catch {
      return undefined;
    } finally {
      await probe.close().catch(() => {});
    }
  }

  /** Takes one message off `queue`, waiting up to `ms` for one. */
  async take(queue: string, ms = 10_000): Promise<GetMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const message = await this.channel.get(queue, { noAck: true });
      if (message !== false) return message;
      if (Date.now() > deadline) throw new Error(`no message in ${queue} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Publishes raw bytes to `queue` (declared durable). */
  async publishRaw(queue: string, body: Buffer | string): Promise<void> {
    await this.channel.assertQueue(queue, { durable: true });
    this.track(queue);
    this.channel.sendToQueue(queue, Buffer.from(body));
  }

  /** Deletes every tracked queue and closes. */
  async close(): Promise<void> {
    for (const name of this.#names) await this.channel.deleteQueue(name).catch(() => {});
    await this.model.close();
  }
}

/** Polls `check` until it holds, or fails after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { RabbitMqBroker };
