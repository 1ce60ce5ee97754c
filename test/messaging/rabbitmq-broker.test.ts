// The broker interface on RabbitMQ (the shared conformance suite), and what only RabbitMQ
// shows: AMQP properties of a sent message, one TTL retry queue per backoff step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerHarness, brokerConformance } from './broker-conformance.js';
import {
  QueueInspector,
  RabbitMqBroker,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const available = await rabbitAvailable();

/** The conformance harness on RabbitMQ: an amqplib connection looks at the queues. */
async function openRabbitHarness(prefix: string): Promise<BrokerHarness> {
  const inspector = await QueueInspector.open();
  const broker = await RabbitMqBroker.connect(
    testSettings({ queuePrefix: prefix, stopTimeout: 1 }),
  );
  const asStrings = (headers: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    broker,
    track(queue, delays = []) {
      inspector.track(
        prefix + queue,
        `${prefix}${queue}.dead-letter`,
        `${prefix}${queue}.delay.500`,
        ...delays.map((ms) => `${prefix}${queue}.retry.${ms}`),
      );
    },
    count: (name) => inspector.count(name),
    async take(name) {
      const raw = await inspector.take(name);
      return {
        body: raw.content.toString(),
        id: typeof raw.properties.messageId === 'string' ? raw.properties.messageId : undefined,
        headers: asStrings(raw.properties.headers),
        redelivered: raw.fields.redelivered,
      };
    },
    publishRaw: (name, body) => inspector.publishRaw(name, body),
    async afterRetries(queue) {
      // One retry queue per backoff step (100 ms, then 200 ms), each emptied back into the queue.
      expect(await inspector.count(`${prefix}${queue}.retry.100`)).toBe(0);
      expect(await inspector.count(`${prefix}${queue}.retry.200`)).toBe(0);
      expect(await inspector.count(`${prefix}${queue}.retry.400`)).toBeUndefined();
    },
    async close() {
      await broker.close();
      await inspector.close();
    },
  };
}

brokerConformance('RabbitMQ', available, () => openRabbitHarness(uniquePrefix('broker')));

describe.skipIf(!available)('RabbitMqBroker', () => {
  const prefix = uniquePrefix('broker-amqp');
  let broker: RabbitMqBroker;
  let inspector: QueueInspector;
  beforeAll(async () => {
    inspector = await QueueInspector.open();
    broker = await RabbitMqBroker.connect(testSettings({ queuePrefix: prefix }));
  });
  afterAll(async () => {
    await broker?.close();
    await inspector?.close();
  });

  it('sends a persistent JSON message with the envelope id as its message id, confirmed', async () => {
    inspector.track(`${prefix}props`);
    const envelope = await broker.send('props', { orderId: 42 }, { type: 'OrderPlaced' });
    // Resolved means confirmed: the message is in the queue now.
    expect(await inspector.count(`${prefix}props`)).toBe(1);
    const raw = await inspector.take(`${prefix}props`);
    expect(raw.properties.messageId).toBe(envelope.id);
    expect(raw.properties.deliveryMode).toBe(2); // persistent
    expect(raw.properties.contentType).toBe('application/json');
    expect(raw.properties.type).toBe('OrderPlaced');
  });
});
