// The broker interface as every backend must keep it: sends the broker holds, the envelope,
// rococo's plain JSON both ways, delays, retries with backoff then a dead letter with the
// reason, poison, prefetch, a graceful stop, and refused arguments. Each backend's test file
// runs it with a harness that looks at its queues from outside the broker under test.
import { type Broker, HEADERS, type ReceivedMessage } from 'libretto/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';

/** A message taken off a queue from outside the broker under test. */
export interface RawMessage {
  readonly body: string;
  /** The message's id as the broker carries it beside the body (AMQP property, SQS attribute). */
  readonly id: string | undefined;
  /** Headers (AMQP) or message attributes (SQS), as strings. */
  readonly headers: Readonly<Record<string, string>>;
  /** Delivered to a consumer before. */
  readonly redelivered: boolean;
}

/** What the suite needs of a backend. */
export interface BrokerHarness {
  readonly broker: Broker & { queueName(queue: string): string };
  /** Remembers queues a test makes, to delete them at the end (`delays`: its retry delays). */
  track(queue: string, delays?: number[]): void;
  /** Messages waiting in the queue of that full name, not in work (undefined: no queue). */
  count(name: string): Promise<number | undefined>;
  /** Takes one message off the queue of that full name, waiting for one. */
  take(name: string): Promise<RawMessage>;
  /** Puts raw bytes on the queue of that full name, as a foreign producer would. */
  publishRaw(name: string, body: string): Promise<void>;
  /** Backend checks after the retry case (the queues retries went through are empty). */
  afterRetries?(queue: string): Promise<void>;
  close(): Promise<void>;
}

/** Polls `check` until it holds, or fails after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Declares the conformance cases for one backend; `open` makes the harness (its broker with
 * a stop timeout of 1 s), or undefined when the backend is absent (then the cases skip).
 */
export function brokerConformance(
  backend: string,
  available: boolean,
  open: () => Promise<BrokerHarness>,
): void {
  let h: BrokerHarness;
  const full = (queue: string) => h.broker.queueName(queue);

  describe.skipIf(!available)(`the Broker interface on ${backend}`, () => {
    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('sends an envelope the broker holds, under the prefixed queue name', async () => {
      h.track('plain');
      const envelope = await h.broker.send(
        'plain',
        { orderId: 42 },
        { key: 'customer-7', type: 'OrderPlaced', headers: { tenant: 'acme' } },
      );
      // Resolved means held: the message is in the queue now.
      expect(await h.count(full('plain'))).toBe(1);
      const raw = await h.take(full('plain'));
      expect(JSON.parse(raw.body)).toEqual({
        id: envelope.id,
        key: 'customer-7',
        type: 'OrderPlaced',
        headers: { tenant: 'acme' },
        createdAt: envelope.createdAt,
        data: { orderId: 42 },
      });
      expect(raw.id).toBe(envelope.id);
    });

    it('hands the handler the envelope, then acknowledges it', async () => {
      h.track('roundtrip');
      const seen: ReceivedMessage[] = [];
      const consumer = await h.broker.consume('roundtrip', (m) => {
        seen.push(m);
      });
      const sent = await h.broker.send('roundtrip', ['a', 1], { id: 'fixed-id', key: 'k' });
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
      expect(await h.count(full('roundtrip'))).toBe(0);
    });

    it('keeps the short rococo-style form: sendMessage / consumeMessages get the payload', async () => {
      h.track('rococo');
      const seen: unknown[] = [];
      const consumer = await h.broker.consumeMessages<{ message: string }>('rococo', (data) => {
        seen.push(data);
      });
      await h.broker.sendMessage('rococo', { message: 'data' });
      await eventually(() => seen.length === 1);
      await consumer.stop();
      expect(seen).toEqual([{ message: 'data' }]);
    });

    it("speaks rococo's wire format: plain JSON both ways, an envelope consumer's poison otherwise", async () => {
      h.track('wire', [1000, 2000, 4000]);
      const queue = full('wire');
      // What rococo's send_message puts on the wire: the JSON of the payload, nothing beside.
      await h.publishRaw(queue, JSON.stringify({ event: 'USER_CREATED' }));
      const seen: unknown[] = [];
      const consumer = await h.broker.consumeMessages('wire', (data) => {
        seen.push(data);
      });
      await eventually(() => seen.length === 1);
      await consumer.stop();
      expect(seen).toEqual([{ event: 'USER_CREATED' }]);
      // What sendMessage puts there is what rococo's consumers read: the payload alone.
      await h.broker.sendMessage('wire', { event: 'ORDER_SHIPPED' });
      const got = await h.take(queue);
      expect(JSON.parse(got.body)).toEqual({ event: 'ORDER_SHIPPED' });
      expect(got.id).toMatch(/^[0-9a-f-]{36}$/);
      // A consumer of envelopes dead-letters it with the reason.
      await h.broker.send('wire', { event: 'X' }, { format: 'json' });
      const envelopes = await h.broker.consume('wire', () => {});
      const dead = await h.take(full('wire.dead-letter'));
      await envelopes.stop();
      expect(dead.headers[HEADERS.deadReason]).toMatch(/^Malformed message: not an envelope/);
    });

    it('holds a delayed message back: one sent after it, undelayed, arrives first', async () => {
      h.track('delayed');
      const seen: unknown[] = [];
      const consumer = await h.broker.consume('delayed', (m) => {
        seen.push(m.data);
      });
      await h.broker.send('delayed', 'later', { delay: 500 });
      await h.broker.send('delayed', 'now');
      await eventually(() => seen.length === 2);
      await consumer.stop();
      expect(seen).toEqual(['now', 'later']);
    });

    it('retries a failing message with growing delays, then dead-letters it with the reason', async () => {
      h.track('flaky', [100, 200]);
      const attempts: number[] = [];
      const consumer = await h.broker.consume(
        'flaky',
        (m) => {
          attempts.push(m.attempt);
          throw new Error(`payment declined (try ${m.attempt})`);
        },
        { retries: 2, backoff: { initialDelay: 100, factor: 2 } },
      );
      const sent = await h.broker.send('flaky', { amount: 5 });
      const dead = await h.take(full('flaky.dead-letter'));
      await consumer.stop();
      expect(attempts).toEqual([1, 2, 3]);
      await h.afterRetries?.('flaky');
      expect(dead.headers[HEADERS.deadReason]).toBe(
        'handler failed 3 times: payment declined (try 3)',
      );
      expect(dead.headers[HEADERS.attempts]).toBe('3');
      expect(dead.headers[HEADERS.queue]).toBe(full('flaky'));
      // The body is the original envelope, untouched.
      expect(JSON.parse(dead.body).id).toBe(sent.id);
      expect(await h.count(full('flaky'))).toBe(0);
    });

    it('dead-letters poison (not JSON, not an envelope, invalid data) at once and keeps consuming', async () => {
      h.track('poison');
      const handled: unknown[] = [];
      const consumer = await h.broker.consume('poison', (m) => void handled.push(m.data), {
        schema: z.object({ n: z.number() }),
      });
      await h.publishRaw(full('poison'), 'not json {');
      await h.publishRaw(full('poison'), '{"hello":"world"}');
      await h.broker.send('poison', { n: 'one' });
      await h.broker.send('poison', { n: 1 });
      const reasons: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const dead = await h.take(full('poison.dead-letter'));
        reasons.push(dead.headers[HEADERS.deadReason]);
      }
      await eventually(() => handled.length === 1);
      await consumer.stop();
      // Handled side by side (prefetch 10), so dead-lettered in any order.
      const sorted = (reasons as string[]).sort();
      expect(sorted[0]).toMatch(/^Malformed message: not JSON/);
      expect(sorted[1]).toBe('Malformed message: not an envelope: no string id');
      expect(sorted[2]).toMatch(/^invalid data: data\.n: /);
      expect(handled).toEqual([{ n: 1 }]);
    });

    it('runs at most `prefetch` handlers at once', async () => {
      h.track('prefetch');
      let running = 0;
      let most = 0;
      let done = 0;
      const consumer = await h.broker.consume(
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
      await Promise.all(Array.from({ length: 20 }, (_, n) => h.broker.send('prefetch', n)));
      await eventually(() => done === 20);
      await consumer.stop();
      expect(most).toBe(3);
    });

    it('stops gracefully: running handlers finish and are acked, unfinished ones go back', async () => {
      h.track('graceful');
      const finished: unknown[] = [];
      const aborted: unknown[] = [];
      const started: unknown[] = [];
      const consumer = await h.broker.consume(
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
      await h.broker.send('graceful', 'quick');
      await h.broker.send('graceful', 'slow');
      await eventually(() => started.length === 2);
      await consumer.stop(); // the stop timeout is 1 s: 'quick' makes it, 'slow' does not
      expect(consumer.inFlight).toBe(0);
      expect(aborted).toEqual(['slow']);
      // The slow message was not acknowledged: it is back in the queue for the next consumer.
      await eventually(async () => (await h.count(full('graceful'))) === 1);
      const back = await h.take(full('graceful'));
      expect(JSON.parse(back.body).data).toBe('slow');
      expect(back.redelivered).toBe(true);
    });

    it('refuses bad arguments with the option named', async () => {
      await expect(h.broker.send('', 1)).rejects.toThrow(/^send: queue must be a non-empty name/);
      await expect(h.broker.send('q', 1, { delay: -1 })).rejects.toThrow(/^send\(q\): delay /);
      await expect(h.broker.send('q', 1, { dely: 5 } as never)).rejects.toThrow(
        /^send\(q\): dely unknown option/,
      );
      await expect(h.broker.consume('q', () => {}, { retries: -1 })).rejects.toThrow(
        /^consume\(q\): retries must be an integer/,
      );
      await expect(h.broker.consume('q', () => {}, { deadLetter: 'q' })).rejects.toThrow(
        /deadLetter/,
      );
    });
  });
}
