// The relay on a PostgreSQL server (libretto/testing) and the RabbitMQ on :5672, under load
// and faults: 10,000 messages over 100 keys with 3 relays in parallel; the broker connection
// cut while publishing (TcpProxy); a relay process killed with SIGKILL mid-batch; and the
// LISTEN connection lost and re-established. Every committed message arrives, in order per key.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Outbox, type RabbitMqBroker } from 'libretto/messaging';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres, TcpProxy, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Received, startRelay } from './outbox-helpers.js';
import {
  RabbitMqBroker as Broker,
  eventually,
  QueueInspector,
  RABBIT_HOST,
  RABBIT_PORT,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const fixture = fileURLToPath(new URL('./fixtures/relay.ts', import.meta.url));
const available = await rabbitAvailable();
const prefix = uniquePrefix('outbox-relay');

let server: TestPostgres;
let db: Database;
let outbox: Outbox;
let broker: RabbitMqBroker;
let inspector: QueueInspector;

beforeAll(async () => {
  server = await startPostgres();
  db = new Database(await PgPool.create({ connectionString: server.dsn, maxSize: 20 }));
  await Outbox.ensureTable(db);
  await db.execute('CREATE TABLE business (key text, seq int, PRIMARY KEY (key, seq))');
  outbox = new Outbox(db);
  if (!available) return;
  broker = await Broker.connect(testSettings({ queuePrefix: prefix }));
  inspector = await QueueInspector.open();
});
afterAll(async () => {
  await broker?.close();
  await inspector?.close();
  await db?.close();
  await server?.stop();
});

/** `perKey` messages for each of `keys` keys, each in a business transaction; keys in parallel. */
async function produce(queue: string, keys: number, perKey: number): Promise<void> {
  await Promise.all(
    Array.from({ length: keys }, async (_, k) => {
      const key = `${queue}-k${k}`;
      for (let seq = 0; seq < perKey; seq++) {
        await db.transaction(async () => {
          await db.execute('INSERT INTO business VALUES ($1, $2)', [key, seq]);
          await outbox.add(queue, { seq }, { key });
        });
      }
    }),
  );
}

function pending(queue: string): Promise<number | undefined> {
  return db.fetchVal<number>(
    'SELECT count(*)::int FROM libretto_outbox WHERE queue = $1 AND published_at IS NULL',
    [queue],
  );
}

describe.skipIf(!available)('the outbox relay on PostgreSQL and RabbitMQ', () => {
  it('10,000 messages over 100 keys, 3 relays: each delivered, order per key kept', async () => {
    const queue = 'load';
    inspector.track(broker.queueName(queue));
    const received = await Received.on(broker, queue);
    const relays = await Promise.all(
      [0, 1, 2].map(async () => {
        const own = new Database(await PgPool.create({ connectionString: server.dsn }));
        const b = await Broker.connect(testSettings({ queuePrefix: prefix }));
        return { db: own, broker: b, ...(await startRelay(own, b, { batchSize: 100 })) };
      }),
    );
    const started = performance.now();
    await produce(queue, 100, 100);
    const committed = performance.now();
    await eventually(() => received.distinct === 10_000, 60_000);
    const done = performance.now();
    for (const r of relays) {
      await r.app.stop();
      await r.broker.close();
      await r.db.close();
    }
    console.log(
      `outbox load: 10,000 messages committed in ${Math.round(committed - started)} ms, all delivered after ${Math.round(done - started)} ms; ` +
        `${received.duplicates} duplicates; published per relay: ${relays.map((r) => r.relay.stats.published).join(', ')}`,
    );
    expect(received.orderViolations()).toEqual([]);
    expect(received.byKey.size).toBe(100);
    // A message can arrive before its relay has committed the mark: wait for the marks.
    await eventually(async () => (await pending(queue)) === 0);
    // Each relay took part: the keys were shared out, not all run by one.
    expect(relays.filter((r) => r.relay.stats.published > 0).length).toBeGreaterThan(1);
    await received.consumer?.stop();
  }, 120_000);

  it('a cut of the broker connection while publishing loses no committed message', async () => {
    const queue = 'cut';
    inspector.track(broker.queueName(queue));
    const received = await Received.on(broker, queue);
    const proxy = await TcpProxy.start(RABBIT_HOST, RABBIT_PORT);
    const proxied = await Broker.connect(
      testSettings({ host: '127.0.0.1', port: proxy.port, queuePrefix: prefix }),
    );
    const { app, relay } = await startRelay(db, proxied, {
      batchSize: 50,
      backoff: { initialDelay: 50, maxDelay: 500 },
    });
    try {
      const producing = produce(queue, 20, 100);
      await eventually(() => received.distinct >= 200);
      proxy.set('cut');
      // Until the broker client has seen the connection die (heartbeats), sends in flight.
      await eventually(() => !proxied.connected, 15_000);
      proxy.set('pass');
      await producing;
      await eventually(() => received.distinct === 2000, 60_000);
      console.log(
        `outbox broker cut: 2,000 delivered, ${received.duplicates} duplicates, ${relay.stats.failed} failed publishes retried`,
      );
      expect(received.orderViolations()).toEqual([]);
      // A message can arrive before its relay has committed the mark: wait for the marks.
      await eventually(async () => (await pending(queue)) === 0);
    } finally {
      await app.stop();
      await proxied.close();
      await proxy.close();
      await received.consumer?.stop();
    }
  }, 120_000);

  it('a message the broker refuses (nack) is retried with backoff; the later ones of its key wait for it', async () => {
    const queue = 'limited';
    inspector.track(broker.queueName(queue));
    // A queue that holds two messages and refuses more: a real nack for the third.
    const limited = await Broker.connect(
      testSettings({
        queuePrefix: prefix,
        queueArguments: { [queue]: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } },
      }),
    );
    const { app, relay } = await startRelay(db, limited, {
      backoff: { initialDelay: 300, maxDelay: 300 },
    });
    try {
      for (let seq = 0; seq < 5; seq++) await outbox.add(queue, { seq }, { key: 'one-key' });
      await eventually(() => relay.stats.failed >= 1);
      const rows = await db.fetch<{ seq: number; published: boolean; attempts: number }>(
        `SELECT (payload->>'seq')::int AS seq, published_at IS NOT NULL AS published, attempts
         FROM libretto_outbox WHERE queue = $1 ORDER BY id`,
        [queue],
      );
      expect(rows.slice(0, 3)).toEqual([
        { seq: 0, published: true, attempts: 1 },
        { seq: 1, published: true, attempts: 1 },
        { seq: 2, published: false, attempts: 1 },
      ]);
      expect(rows.slice(3).map((r) => r.published)).toEqual([false, false]);
      const error = await db.fetchVal<string>(
        `SELECT last_error FROM libretto_outbox WHERE queue = $1 AND payload->>'seq' = '2'`,
        [queue],
      );
      expect(error).toMatch(/did not take the message .*refused the message \(nack\)/);
      // Room in the queue: the retried message, then the ones that waited, in order.
      const received = await Received.on(limited, queue);
      try {
        await eventually(() => received.distinct === 5, 20_000);
        expect(received.byKey.get('one-key')?.filter((v, i, all) => all.indexOf(v) === i)).toEqual([
          0, 1, 2, 3, 4,
        ]);
        await eventually(async () => (await pending(queue)) === 0);
      } finally {
        await received.consumer?.stop();
      }
    } finally {
      await app.stop();
      await limited.close();
    }
  }, 60_000);

  it('a key spread over four batches in flight goes in order, and waits for a refused message of an earlier batch', async () => {
    const queue = 'spread';
    inspector.track(broker.queueName(queue));
    const limited = await Broker.connect(
      testSettings({
        queuePrefix: prefix,
        queueArguments: { [queue]: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } },
      }),
    );
    // Committed together, then one row per batch: each of the key's rows in another batch.
    await db.transaction(async () => {
      for (let seq = 0; seq < 6; seq++) await outbox.add(queue, { seq }, { key: 'spread-key' });
    });
    const { app, relay } = await startRelay(db, limited, {
      batchSize: 1,
      batchesInFlight: 4,
      backoff: { initialDelay: 300, maxDelay: 300 },
    });
    try {
      await eventually(() => relay.stats.failed >= 1);
      const published = await db.fetch<{ seq: number }>(
        `SELECT (payload->>'seq')::int AS seq FROM libretto_outbox
         WHERE queue = $1 AND published_at IS NOT NULL ORDER BY id`,
        [queue],
      );
      // Two fit in the queue; the third was refused; none after it overtook it.
      expect(published.map((r) => r.seq)).toEqual([0, 1]);
      const received = await Received.on(limited, queue);
      try {
        await eventually(() => received.distinct === 6, 20_000);
        const order = received.byKey.get('spread-key') ?? [];
        expect(order.filter((v, i, all) => all.indexOf(v) === i)).toEqual([0, 1, 2, 3, 4, 5]);
        await eventually(async () => (await pending(queue)) === 0);
        // The rows after the refused one were not even tried before it went out.
        const attempts = await db.fetch<{ attempts: number }>(
          'SELECT attempts FROM libretto_outbox WHERE queue = $1 ORDER BY id',
          [queue],
        );
        expect(attempts.map((r) => r.attempts)).toEqual([1, 1, 2, 1, 1, 1]);
      } finally {
        await received.consumer?.stop();
      }
    } finally {
      await app.stop();
      await limited.close();
    }
  }, 60_000);

  it('stopping with a frozen broker mid-batch returns, marks nothing, and the rows go out later', async () => {
    const queue = 'frozen';
    inspector.track(broker.queueName(queue));
    const proxy = await TcpProxy.start(RABBIT_HOST, RABBIT_PORT);
    const proxied = await Broker.connect(
      testSettings({ port: proxy.port, queuePrefix: prefix, heartbeat: 0, stopTimeout: 1 }),
    );
    try {
      await proxied.send(queue, 'warm-up'); // declared: only the publishes are left
      await inspector.channel.purgeQueue(broker.queueName(queue));
      proxy.set('stall');
      await produce(queue, 5, 4);
      const { app } = await startRelay(db, proxied, { stopTimeout: 500 });
      // One batch has claimed the rows and waits for confirms that never come.
      await eventually(async () => {
        const row = await db.fetchOne<{ claimed: boolean }>(
          `SELECT count(*) = 20 AS claimed FROM libretto_outbox o
           WHERE queue = $1 AND NOT EXISTS (SELECT 1 FROM libretto_outbox l
             WHERE l.id = o.id FOR UPDATE SKIP LOCKED)`,
          [queue],
        );
        return row?.claimed === true;
      });
      const stopped = performance.now();
      await app.stop();
      // Bounded by stopTimeout (0.5 s) and a second: not by the send timeout (30 s), nor forever.
      expect(performance.now() - stopped).toBeLessThan(10_000);
      expect(await pending(queue)).toBe(20);
    } finally {
      await proxied.close();
      await proxy.close();
    }
    // A relay on a healthy broker publishes every one of them.
    const received = await Received.on(broker, queue);
    const { app } = await startRelay(db, broker);
    try {
      await eventually(() => received.distinct === 20, 30_000);
      expect(received.orderViolations()).toEqual([]);
      await eventually(async () => (await pending(queue)) === 0);
    } finally {
      await app.stop();
      await received.consumer?.stop();
    }
  }, 60_000);

  it('a relay process killed (SIGKILL) mid-batch loses no committed message', async () => {
    const queue = 'kill';
    inspector.track(broker.queueName(queue));
    await produce(queue, 20, 150);
    const received = await Received.on(broker, queue);
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, server.dsn, prefix], {
      stdio: 'ignore',
    });
    try {
      // Until it is inside a batch: its transaction open, messages of it already sent.
      await eventually(async () => {
        const inBatch = await db.fetchVal<number>(
          "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'doomed-relay' AND state = 'idle in transaction'",
        );
        return inBatch === 1 && received.distinct > 100;
      }, 30_000);
    } finally {
      child.kill('SIGKILL');
    }
    const before = received.distinct;
    expect(before).toBeLessThan(3000);
    const { app } = await startRelay(db, broker, { batchSize: 100 });
    try {
      await eventually(() => received.distinct === 3000, 60_000);
      console.log(
        `outbox relay killed after ${before} messages: 3,000 delivered, ${received.duplicates} duplicates`,
      );
      expect(received.orderViolations()).toEqual([]);
      // A message can arrive before its relay has committed the mark: wait for the marks.
      await eventually(async () => (await pending(queue)) === 0);
    } finally {
      await app.stop();
      await received.consumer?.stop();
    }
  }, 120_000);
});

describe('Database.listen on pg', () => {
  it('hears commits, and after its connection is killed listens again and says so', async () => {
    const heard: string[] = [];
    const listener = await db.listen('outbox_relay_test', (p) => heard.push(p));
    await db.transaction(() => db.execute("SELECT pg_notify('outbox_relay_test', 'one')"));
    await eventually(() => heard.includes('one'));
    await db.execute(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = \'LISTEN "outbox_relay_test"\'',
    );
    // Re-established: the empty payload tells the listener it may have missed some.
    await eventually(() => heard.includes(''));
    await db.transaction(() => db.execute("SELECT pg_notify('outbox_relay_test', 'two')"));
    await eventually(() => heard.includes('two'));
    await listener.close();
    expect(heard.filter((p) => p !== '')).toEqual(['one', 'two']);
  });
});
