// Faults between the application and RabbitMQ, through libretto/testing's TCP proxy: a cut
// during sends loses nothing confirmed and sends resume after the reconnect; a stalled
// broker makes a send time out with the host and the queue named; stopping never hangs.
import { DependencyTimeoutError, DependencyUnavailableError } from 'libretto';
import { TcpProxy } from 'libretto/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  QueueInspector,
  RABBIT_HOST,
  RABBIT_PORT,
  RabbitMqBroker,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const available = await rabbitAvailable();
const prefix = uniquePrefix('faults');
let proxy: TcpProxy;
let inspector: QueueInspector;
const brokers: RabbitMqBroker[] = [];

async function brokerThroughProxy(
  overrides: Record<string, unknown> = {},
): Promise<RabbitMqBroker> {
  const broker = await RabbitMqBroker.connect(
    testSettings({ port: proxy.port, queuePrefix: prefix, ...overrides }),
  );
  brokers.push(broker);
  return broker;
}

/** Every message of `queue`, drained directly (not through the proxy): their envelope ids. */
async function drainIds(queue: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const message = await inspector.channel.get(queue, { noAck: true });
    if (message === false) return ids;
    ids.push(JSON.parse(message.content.toString()).id);
  }
}

describe.skipIf(!available)('RabbitMQ faults', () => {
  beforeAll(async () => {
    proxy = await TcpProxy.start(RABBIT_HOST, RABBIT_PORT);
    inspector = await QueueInspector.open();
  });
  afterEach(async () => {
    proxy.set('pass');
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await proxy?.close();
    await inspector?.close();
  });

  it('a cut during sends loses no confirmed message, and the sends resume after the reconnect', async () => {
    inspector.track(`${prefix}cut`);
    const broker = await brokerThroughProxy();
    const sends: Promise<{ id: string }>[] = [];
    for (let n = 0; n < 400; n++) {
      sends.push(broker.send('cut', { n }, { key: `k${n % 7}` }));
      if (n === 150) proxy.set('cut');
      if (n === 250) setTimeout(() => proxy.set('pass'), 300);
      if (n % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    // Every send resolves: the ones cut off were published again on the new connection.
    const sent = await Promise.all(sends);
    expect(broker.pendingSends).toBe(0);
    const ids = new Set(await drainIds(`${prefix}cut`));
    const missing = sent.filter((e) => !ids.has(e.id));
    expect(missing).toEqual([]);
    // And the broker is usable again.
    await broker.send('cut', 'after');
    expect(await drainIds(`${prefix}cut`)).toHaveLength(1);
  });

  it('readiness follows the connection: down while cut, up after the reconnect', async () => {
    const broker = await brokerThroughProxy();
    expect(() => broker.checkHealth()).not.toThrow();
    proxy.set('cut');
    await eventually(() => !broker.connected);
    expect(() => broker.checkHealth()).toThrow(DependencyUnavailableError);
    expect(() => broker.checkHealth()).toThrow(
      new RegExp(
        `^RabbitMQ at 127\\.0\\.0\\.1:${proxy.port} vhost / is unavailable: not connected`,
      ),
    );
    proxy.set('pass');
    await eventually(() => broker.connected);
    expect(() => broker.checkHealth()).not.toThrow();
  });

  it('a consumer subscribes again after a cut and gets what is sent next', async () => {
    inspector.track(`${prefix}resubscribe`, `${prefix}resubscribe.dead-letter`);
    const broker = await brokerThroughProxy();
    const seen: unknown[] = [];
    await broker.consume('resubscribe', (m) => void seen.push(m.data));
    await broker.send('resubscribe', 'before');
    await eventually(() => seen.length === 1);
    proxy.set('cut');
    await eventually(() => !broker.connected);
    proxy.set('pass');
    await broker.send('resubscribe', 'after');
    await eventually(() => seen.includes('after'));
  });

  it('a stalled broker: the send times out with the host and the queue named', async () => {
    inspector.track(`${prefix}stall`);
    const broker = await brokerThroughProxy({ sendTimeout: 1, heartbeat: 0 });
    await broker.send('stall', 'warm-up'); // the queue is declared; only the publish is left
    proxy.set('stall');
    const error = await broker.send('stall', 'stuck').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyTimeoutError);
    // Published on a channel already open, or waiting for a new one the broker never opens.
    expect((error as Error).message).toMatch(
      new RegExp(
        `^RabbitMQ at 127\\.0\\.0\\.1:${proxy.port} vhost / did not confirm a message for queue ${prefix.replaceAll('.', '\\.')}stall within 1 s: (published, no confirm from the broker|waiting to be published)$`,
      ),
    );
    expect((error as { code: string }).code).toBe('BROKER_SEND_TIMEOUT');
  });

  it('stopping with a stalled broker and a running consumer does not hang', async () => {
    inspector.track(`${prefix}frozen`, `${prefix}frozen.dead-letter`);
    const broker = await brokerThroughProxy({ stopTimeout: 1, heartbeat: 0 });
    const consumer = await broker.consume('frozen', () => new Promise(() => {}));
    await broker.send('frozen', 'never finishes');
    await eventually(() => consumer.inFlight === 1);
    proxy.set('stall');
    const pending = broker.send('frozen', 'unconfirmed').catch((e: unknown) => e);
    await broker.close(); // bounded by stop_timeout, then the socket is destroyed
    const error = await pending;
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^RabbitMQ at 127\\.0\\.0\\.1:${proxy.port} vhost / is unavailable for queue ${prefix}frozen: the broker was closed before confirming`,
      ),
    );
    await expect(broker.send('frozen', 'late')).rejects.toThrow(/the broker is closed/);
  });
});
