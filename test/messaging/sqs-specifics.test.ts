// What only the SQS backend shows, against the protocol-level server of sqs-server.ts (not
// AWS): message attributes, FIFO order per key and deduplication, SQS's limits refused
// up front, several receivers for a prefetch over 10, the visibility of a slow handler kept
// up, a queue's own RedrivePolicy left to SQS, an unreachable endpoint, and SqsService.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigService, DependencyUnavailableError, UsageError } from 'libretto';
import {
  Broker,
  HEADERS,
  resolveSqsSettings,
  SqsBroker,
  SqsConfig,
  SqsService,
} from 'libretto/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { failure } from '../failure.js';
import { eventually } from './broker-conformance.js';
import { sqsTestSettings, takeFrom } from './sqs.js';
import { SqsServer } from './sqs-server.js';

let server: SqsServer;
let broker: SqsBroker;

beforeAll(async () => {
  server = await SqsServer.start();
  broker = await SqsBroker.connect(sqsTestSettings(server));
});
afterAll(async () => {
  await broker?.close();
  await server?.close();
});

describe('SqsBroker on the SQS test server', () => {
  it('names queues as SQS allows: the prefix, dots as dashes, .fifo kept', () => {
    const prefix = broker.settings.queuePrefix;
    expect(broker.queueName('orders.dead-letter')).toBe(`${prefix}orders-dead-letter`);
    expect(broker.queueName('orders.fifo')).toBe(`${prefix}orders.fifo`);
    expect(() => broker.queueName('x'.repeat(80))).toThrow(UsageError);
  });

  it('sends the envelope as the body, its id, key, type and headers as message attributes', async () => {
    const sent = await broker.send(
      'attrs',
      { n: 1 },
      { key: 'k-1', type: 'Thing', headers: { tenant: 'acme' } },
    );
    const raw = await takeFrom(server, broker.queueName('attrs'));
    expect(JSON.parse(raw.body)).toMatchObject({ id: sent.id, data: { n: 1 } });
    expect(raw.headers).toEqual({
      'x-libretto-id': sent.id,
      'x-libretto-key': 'k-1',
      'x-libretto-type': 'Thing',
      tenant: 'acme',
    });
  });

  it('keeps the key and headers of a json message through its attributes', async () => {
    const seen: { key: string | null; headers: Readonly<Record<string, string>> }[] = [];
    const consumer = await broker.consume('plain-attrs', (m) => void seen.push(m), {
      format: 'json',
    });
    await broker.send('plain-attrs', 1, { format: 'json', key: 'k', headers: { trace: 't-1' } });
    await eventually(() => seen.length === 1);
    await consumer.stop();
    expect(seen[0]).toMatchObject({ key: 'k', headers: { trace: 't-1' } });
  });

  it("refuses what SQS cannot carry: a delay over 15 minutes, a FIFO message's own delay, too many json headers", async () => {
    const long = await failure(broker.send('q', 1, { delay: 900_001 }));
    expect(long).toBeInstanceOf(UsageError);
    expect((long as Error).message).toBe(
      'send(q): delay must be at most 900000 ms: SQS delays a message 15 minutes at most',
    );
    await expect(broker.send('q.fifo', 1, { delay: 1000 })).rejects.toThrow(
      /^send\(q\.fifo\): delay is not possible per message on a FIFO queue/,
    );
    const headers = Object.fromEntries(Array.from({ length: 10 }, (_, n) => [`h${n}`, 'v']));
    await expect(broker.send('q', 1, { format: 'json', headers })).rejects.toThrow(
      /^send\(q\): headers h9 cannot go as SQS message attributes/,
    );
    // An envelope carries its headers in the body: the ones that do not fit stay there only.
    await expect(broker.send('q', 1, { headers })).resolves.toMatchObject({ headers });
  });

  it('FIFO: the key is the message group, in order per key; the envelope id dedupes', async () => {
    const seen = new Map<string, number[]>();
    const consumer = await broker.consume<number>(
      'orders.fifo',
      async (m) => {
        // Slower handlers for one key: a later message of it must still wait its turn.
        await new Promise((r) => setTimeout(r, m.key === 'a' ? 15 : 1));
        seen.set(m.key ?? 'none', [...(seen.get(m.key ?? 'none') ?? []), m.data]);
      },
      { prefetch: 10 },
    );
    for (let n = 0; n < 10; n++) {
      await broker.send('orders.fifo', n, { key: n % 2 === 0 ? 'a' : 'b' });
    }
    await broker.send('orders.fifo', 100, { id: 'once' });
    await broker.send('orders.fifo', 100, { id: 'once' }); // a resend: SQS drops it
    await eventually(() => [...seen.values()].flat().length === 11);
    await new Promise((r) => setTimeout(r, 200));
    await consumer.stop();
    expect(seen.get('a')).toEqual([0, 2, 4, 6, 8]);
    expect(seen.get('b')).toEqual([1, 3, 5, 7, 9]);
    expect(seen.get('none')).toEqual([100]); // the default group, once
    const stored = server.messages(broker.queueName('orders.fifo'));
    expect(stored).toEqual([]);
  });

  it('runs more than 10 handlers at once when prefetch says so (SQS returns 10 per receive)', async () => {
    let running = 0;
    let most = 0;
    let done = 0;
    const consumer = await broker.consume(
      'wide',
      async () => {
        running++;
        most = Math.max(most, running);
        await eventually(() => most === 25 || done > 0, 3000).catch(() => {});
        running--;
        done++;
      },
      { prefetch: 25 },
    );
    await Promise.all(Array.from({ length: 30 }, (_, n) => broker.send('wide', n)));
    await eventually(() => done === 30);
    await consumer.stop();
    expect(most).toBe(25);
  });

  it('keeps a slow handler’s message hidden past the visibility timeout, then deletes it', async () => {
    const slow = await SqsBroker.connect(
      sqsTestSettings(server, { visibilityTimeout: 1, queuePrefix: 'slow-' }),
    );
    const deliveries: number[] = [];
    const consumer = await slow.consume('work', async (m) => {
      deliveries.push(m.attempt);
      await new Promise((r) => setTimeout(r, 2500)); // two and a half visibility timeouts
    });
    await slow.send('work', 'big job');
    await eventually(() => deliveries.length === 1);
    await eventually(() => server.messages('slow-work')?.length === 0, 10_000);
    await consumer.stop();
    await slow.close();
    expect(deliveries).toEqual([1]); // never delivered again while in work
    expect(server.calls).toContain('ChangeMessageVisibility');
  });

  it('makes a queue deleted behind its back again, for a send and for a running consumer', async () => {
    const seen: unknown[] = [];
    const consumer = await broker.consume('fragile', (m) => void seen.push(m.data));
    await broker.send('fragile', 'before');
    await eventually(() => seen.length === 1);
    server.deleteQueue(broker.queueName('fragile'));
    await broker.send('fragile', 'after'); // its cached URL fails once, then the queue is made
    await eventually(() => seen.length === 2);
    await consumer.stop();
    expect(seen).toEqual(['before', 'after']);
  });

  it('leaves dead-lettering to SQS when the queue has its own RedrivePolicy, and says so', async () => {
    const log = capturedLogger();
    const own = await SqsBroker.connect(sqsTestSettings(server, { queuePrefix: 'redrive-' }), {
      logger: log.logger,
    });
    server.createQueue('redrive-mine-dlq');
    server.createQueue('redrive-mine', {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:redrive-mine-dlq',
        maxReceiveCount: 2,
      }),
    });
    const attempts: number[] = [];
    const consumer = await own.consume(
      'mine',
      (m) => {
        attempts.push(m.attempt);
        throw new Error('still failing');
      },
      { retries: 5, backoff: { initialDelay: 1 } },
    );
    const sent = await own.send('mine', 'doomed');
    await own.send('mine', 'not an envelope', { format: 'json' });
    // Moved by SQS after two receives, without Libretto's reason attributes.
    const moved = await takeFrom(server, 'redrive-mine-dlq');
    const poison = await takeFrom(server, 'redrive-mine-dlq');
    await consumer.stop();
    await own.close();
    const [byPolicy, byLibretto] =
      JSON.parse(moved.body).id === sent.id ? [moved, poison] : [poison, moved];
    expect(JSON.parse(byPolicy.body).id).toBe(sent.id);
    expect(byPolicy.headers[HEADERS.deadReason]).toBeUndefined();
    expect(attempts).toEqual([1, 2]);
    // Poison goes to the policy's queue at once, with the reason.
    expect(byLibretto.headers[HEADERS.deadReason]).toMatch(/^Malformed message: not an envelope/);
    expect(server.messages('redrive-mine-dead-letter')).toBeUndefined();
    expect(log.text()).toContain('has its own RedrivePolicy');
  });
});

describe('SQS settings and SqsService', () => {
  it('defaults, QUEUE_NAME_PREFIX, credentials that never show', () => {
    const s = resolveSqsSettings(
      { region: 'eu-west-1', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret' },
      {},
      { QUEUE_NAME_PREFIX: 'dev_' },
    );
    expect(s).toMatchObject({
      region: 'eu-west-1',
      queuePrefix: 'dev_',
      visibilityTimeout: 30,
      waitTime: 20,
      prefetch: 10,
    });
    expect(s.secretAccessKey).toBe('very-secret');
    expect(JSON.stringify(s)).not.toContain('very-secret');
    expect(JSON.stringify(s)).not.toContain('AKIAEXAMPLE');
    expect(() => resolveSqsSettings({ accessKeyId: 'AKIA' }, {})).toThrow(
      /accessKeyId and secretAccessKey go together/,
    );
    expect(() => resolveSqsSettings({}, { waitTime: 21 })).toThrow(/waitTime/);
  });

  it('the section: YAML overlaid by LIBRETTO_SQS__*, unknown keys refused with their path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-sqs-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'sqs:\n  region: eu-west-1\n  prefetch: 5\n');
    const config = new ConfigService({
      sections: [SqsConfig],
      argv: ['--config', good],
      env: { LIBRETTO_SQS__QUEUE_PREFIX: 'env-', LIBRETTO_SQS__VISIBILITY_TIMEOUT: '60' },
    });
    const app = new Application(config, { logger: capturedLogger().logger });
    await app.start();
    const section = await config.getDependency(SqsConfig);
    await app.stop();
    expect(section).toEqual({
      region: 'eu-west-1',
      prefetch: 5,
      queue_prefix: 'env-',
      visibility_timeout: 60,
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'sqs:\n  regoin: eu-west-1\n');
    const refused = new Application(
      new ConfigService({ sections: [SqsConfig], argv: ['--config', bad], env: {} }),
      { logger: capturedLogger().logger },
    );
    await expect(refused.start()).rejects.toThrow(/sqs\.regoin .*unknown key/);
  });

  it('provides the Broker from the sqs: section, is ready while SQS answers, and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-sqs-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `sqs:\n  region: us-east-1\n  endpoint: ${server.endpoint}\n  queue_prefix: svc-\n  access_key_id: test\n  secret_access_key: hidden-key-123\n`,
    );
    const log = capturedLogger();
    const service = new SqsService({ env: {} });
    const app = new Application(
      new ConfigService({ sections: [SqsConfig], argv: ['--config', file], env: {} }),
      service,
      { logger: log.logger },
    );
    await app.start();
    const provided = await service.getDependency(Broker);
    await provided.send('jobs', { job: 1 });
    expect(JSON.parse((await takeFrom(server, 'svc-jobs')).body).data).toEqual({ job: 1 });
    await expect(service.checkHealth()).resolves.toBeUndefined();
    await app.stop();
    expect(log.text()).toContain(`SQS ready`);
    expect(log.text()).not.toContain('hidden-key-123');
  });

  it('fails the start naming the endpoint and why when SQS does not answer', async () => {
    const app = new Application(
      new SqsService({
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        accessKeyId: 'test',
        secretAccessKey: 'secret-never-shown',
        env: {},
      }),
      { logger: capturedLogger().logger },
    );
    const error = await app.start().catch((e: unknown) => e);
    const cause = (function find(e: unknown): unknown {
      if (e instanceof DependencyUnavailableError) return e;
      const c = (e as { cause?: unknown })?.cause;
      return c === undefined ? undefined : find(c);
    })(error);
    expect(cause).toBeInstanceOf(DependencyUnavailableError);
    expect((cause as DependencyUnavailableError).code).toBe('BROKER_UNAVAILABLE');
    expect((cause as Error).message).toMatch(/^SQS at http:\/\/127\.0\.0\.1:1 is unavailable: /);
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain('secret-never-shown');
  });
});
