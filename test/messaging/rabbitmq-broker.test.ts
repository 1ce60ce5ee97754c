// The broker interface on RabbitMQ: sends confirmed, the envelope, delays, retries with
// backoff then a dead letter with the reason, poison, prefetch and a graceful stop.
import { HEADERS, type ReceivedMessage } from 'libretto/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  eventually,
  QueueInspector,
  RabbitMqBroker,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const available = await rabbitAvailable();
const prefix = uniquePrefix('broker');
let broker: RabbitMqBroker;
let inspector: QueueInspector;

/** Every queue a consumer of `queue` with these retry delays makes, tracked for deletion. */
function track(queue: string, delays: number[] = [], deadLetter = `${queue}.dead-letter`): void {
  inspector.track(
    prefix + queue,
    prefix + deadLetter,
    ...delays.map((ms) => `${prefix}${queue}.retry.${ms}`),
  );
}

describe.skipIf(!available)('RabbitMqBroker', () => {
  beforeAll(async () => {
    inspector = await QueueInspector.open();
    broker = await RabbitMqBroker.connect(testSettings({ queuePrefix: prefix, stopTimeout: 1 }));
  });
  afterAll(async () => {
    await broker?.close();
    await inspector?.close();
  });

  it('sends an envelope the broker holds, under the prefixed queue name', async () => {
    inspector.track(`${prefix}plain`);
    const envelope = await broker.send(
      'plain',
      { orderId: 42 },
      { key: 'customer-7', type: 'OrderPlaced', headers: { tenant: 'acme' } },
    );
    // Resolved means confirmed: the message is in the queue now.
    expect(await inspector.count(`${prefix}plain`)).toBe(1);
    const raw = await inspector.take(`${prefix}plain`);
    expect(JSON.parse(raw.content.toString())).toEqual({
      id: envelope.id,
      key: 'customer-7',
      type: 'OrderPlaced',
      headers: { tenant: 'acme' },
      createdAt: envelope.createdAt,
      data: { orderId: 42 },
    });
    expect(raw.properties.messageId).toBe(envelope.id);
    expect(raw.properties.deliveryMode).toBe(2); // persistent
    expect(raw.properties.contentType).toBe('application/json');
  });

  it('hands the handler the envelope, then acknowledges it', async () => {
    track('roundtrip');
    const seen: ReceivedMessage[] = [];
    const consumer = await broker.consume('roundtrip', (m) => {
      seen.push(m);
    });
    const sent = await broker.send('roundtrip', ['a', 1], { id: 'fixed-id', key: 'k' });
    await eventually(() => seen.length === 1);
    await consumer.stop();
    expect(seen[0]).toMatchObject({
      id: 'fixed-id',
      key: 'k',
      type: null,
      data: ['a', 1],
      queue: 'roundtrip',
      attempt: 1,
      redelivered: false,
      createdAt: sent.createdAt,
    });
    expect(await inspector.count(`${prefix}roundtrip`)).toBe(0);
  });

  it('keeps the short rococo-style form: sendMessage / consumeMessages get the payload', async () => {
    track('rococo');
    const seen: unknown[] = [];
    const consumer = await broker.consumeMessages<{ message: string }>('rococo', (data) => {
      seen.push(data);
    });
    await broker.sendMessage('rococo', { message: 'data' });
    await eventually(() => seen.length === 1);
    await consumer.stop();
    expect(seen).toEqual([{ message: 'data' }]);
  });

  it("speaks rococo's wire format: plain JSON both ways, an envelope consumer's poison otherwise", async () => {
    track('plain', [1000, 2000, 4000]);
    const queue = broker.queueName('plain');
    // What rococo's send_message puts on the wire: the JSON of the payload, no properties.
    await inspector.channel.assertQueue(queue, { durable: true });
    inspector.channel.sendToQueue(queue, Buffer.from(JSON.stringify({ event: 'USER_CREATED' })));
    const seen: unknown[] = [];
    const consumer = await broker.consumeMessages('plain', (data) => {
      seen.push(data);
    });
    await eventually(() => seen.length === 1);
    await consumer.stop();
    expect(seen).toEqual([{ event: 'USER_CREATED' }]);
    // What sendMessage puts there is what rococo's consumers read: the payload alone.
    await broker.sendMessage('plain', { event: 'ORDER_SHIPPED' });
    const got = await inspector.channel.get(queue, { noAck: true });
    expect(got && JSON.parse(got.content.toString())).toEqual({ event: 'ORDER_SHIPPED' });
    expect(got === false ? undefined : got.properties.messageId).toMatch(/^[0-9a-f-]{36}$/);
    // A consumer of envelopes dead-letters it with the reason.
    await broker.send('plain', { event: 'X' }, { format: 'json' });
    const envelopes = await broker.consume('plain', () => {});
    await eventually(
      async () => (await inspector.channel.checkQueue(`${queue}.dead-letter`)).messageCount === 1,
    );
    await envelopes.stop();
    const dead = await inspector.channel.get(`${queue}.dead-letter`, { noAck: true });
    expect(dead && String(dead.properties.headers?.['x-libretto-dead-reason'])).toMatch(
      /^Malformed message: not an envelope/,
    );
  });

  it('holds a delayed message back: one sent after it, undelayed, arrives first', async () => {
    track('delayed');
    inspector.track(`${prefix}delayed.delay.500`);
    const seen: unknown[] = [];
    const consumer = await broker.consume('delayed', (m) => {
      seen.push(m.data);
    });
    await broker.send('delayed', 'later', { delay: 500 });
    await broker.send('delayed', 'now');
    await eventually(() => seen.length === 2);
    await consumer.stop();
    expect(seen).toEqual(['now', 'later']);
  });

  it('retries a failing message with growing delays, then dead-letters it with the reason', async () => {
    track('flaky', [100, 200]);
    const attempts: number[] = [];
    const consumer = await broker.consume(
      'flaky',
      (m) => {
        attempts.push(m.attempt);
        throw new Error(`payment declined (try ${m.attempt})`);
      },
      { retries: 2, backoff: { initialDelay: 100, factor: 2 } },
    );
    const sent = await broker.send('flaky', { amount: 5 });
    const dead = await inspector.take(`${prefix}flaky.dead-letter`);
    await consumer.stop();
    expect(attempts).toEqual([1, 2, 3]);
    // One retry queue per backoff step (100 ms, then 200 ms), each emptied back into the queue.
    expect(await inspector.count(`${prefix}flaky.retry.100`)).toBe(0);
    expect(await inspector.count(`${prefix}flaky.retry.200`)).toBe(0);
    expect(await inspector.count(`${prefix}flaky.retry.400`)).toBeUndefined();
    const headers = dead.properties.headers as Record<string, unknown>;
    expect(headers[HEADERS.deadReason]).toBe('handler failed 3 times: payment declined (try 3)');
    expect(headers[HEADERS.attempts]).toBe(3);
    expect(headers[HEADERS.queue]).toBe(`${prefix}flaky`);
    // The body is the original envelope, untouched.
    expect(JSON.parse(dead.content.toString()).id).toBe(sent.id);
    expect(await inspector.count(`${prefix}flaky`)).toBe(0);
  });

  it('dead-letters poison (not JSON, not an envelope, invalid data) at once and keeps consuming', async () => {
    track('poison');
    const handled: unknown[] = [];
    const consumer = await broker.consume('poison', (m) => void handled.push(m.data), {
      schema: z.object({ n: z.number() }),
    });
    await inspector.publishRaw(`${prefix}poison`, 'not json {');
    await inspector.publishRaw(`${prefix}poison`, '{"hello":"world"}');
    await broker.send('poison', { n: 'one' });
    await broker.send('poison', { n: 1 });
    const reasons: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const dead = await inspector.take(`${prefix}poison.dead-letter`);
      reasons.push((dead.properties.headers as Record<string, unknown>)[HEADERS.deadReason]);
    }
    await eventually(() => handled.length === 1);
    await consumer.stop();
    expect(reasons[0]).toMatch(/^Malformed message: not JSON/);
    expect(reasons[1]).toBe('Malformed message: not an envelope: no string id');
    expect(reasons[2]).toMatch(/^invalid data: data\.n: /);
    expect(handled).toEqual([{ n: 1 }]);
  });

  it('runs at most `prefetch` handlers at once', async () => {
    track('prefetch');
    let running = 0;
    let most = 0;
    let done = 0;
    const consumer = await broker.consume(
      'prefetch',
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        done++;
      },
      { prefetch: 3 },
    );
    await Promise.all(Array.from({ length: 20 }, (_, n) => broker.send('prefetch', n)));
    await eventually(() => done === 20);
    await consumer.stop();
    expect(most).toBe(3);
  });

  it('stops gracefully: running handlers finish and are acked, unfinished ones go back', async () => {
    track('graceful');
    const finished: unknown[] = [];
    const aborted: unknown[] = [];
    const started: unknown[] = [];
    const consumer = await broker.consume(
      'graceful',
      async (m) => {
        started.push(m.data);
        const ms = m.data === 'slow' ? 5_000 : 200;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          m.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            aborted.push(m.data);
            resolve();
          });
        });
        finished.push(m.data);
      },
      { prefetch: 2 },
    );
    await broker.send('graceful', 'quick');
    await broker.send('graceful', 'slow');
    await eventually(() => started.length === 2);
    await consumer.stop(); // stop_timeout is 1 s: 'quick' makes it, 'slow' does not
    expect(consumer.inFlight).toBe(0);
    expect(aborted).toEqual(['slow']);
    // The slow message was not acknowledged: it is back in the queue for the next consumer.
    await eventually(async () => (await inspector.count(`${prefix}graceful`)) === 1);
    const back = await inspector.take(`${prefix}graceful`);
    expect(JSON.parse(back.content.toString()).data).toBe('slow');
    expect(back.fields.redelivered).toBe(true);
  });

  it('refuses bad arguments with the option named', async () => {
    await expect(broker.send('', 1)).rejects.toThrow(/^send: queue must be a non-empty name/);
    await expect(broker.send('q', 1, { delay: -1 })).rejects.toThrow(/^send\(q\): delay /);
    await expect(broker.send('q', 1, { dely: 5 } as never)).rejects.toThrow(
      /^send\(q\): dely unknown option/,
    );
    await expect(broker.consume('q', () => {}, { retries: -1 })).rejects.toThrow(
      /^consume\(q\): retries must be an integer/,
    );
    await expect(broker.consume('q', () => {}, { deadLetter: 'q' })).rejects.toThrow(/deadLetter/);
  });
});
