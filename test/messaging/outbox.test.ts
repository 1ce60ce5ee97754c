// The outbox on the embedded database (PGlite): its table, `add` in transactions and its
// typed errors, the relay publishing to the RabbitMQ on :5672 (woken by PGlite's LISTEN, or
// polling), a rolled-back message never published, and failed publishes retried.
import { InvalidOperationError, UsageError } from 'libretto';
import {
  Outbox,
  OutboxRelay,
  outboxTableStatements,
  type RabbitMqBroker,
} from 'libretto/messaging';
import { Database, PglitePool, transactional } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPglite } from '../postgres/empty-pglite.js';
import { Received, startRelay } from './outbox-helpers.js';
import {
  RabbitMqBroker as Broker,
  eventually,
  QueueInspector,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

let db: Database;
let outbox: Outbox;

beforeAll(async () => {
  db = new Database(await PglitePool.create({ loadDataDir: await emptyPglite() }));
  await Outbox.ensureTable(db);
  await Outbox.ensureTable(db); // idempotent
  outbox = new Outbox(db);
});
afterAll(() => db?.close());

describe('the outbox table', () => {
  it('has DDL a migration can hold, for the default or a named table', () => {
    const [create, ...indexes] = outboxTableStatements();
    expect(create).toContain('CREATE TABLE IF NOT EXISTS "libretto_outbox"');
    expect(create).toContain('id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY');
    expect(indexes).toHaveLength(3);
    expect(outboxTableStatements('app.events_outbox')[0]).toContain('"app"."events_outbox"');
    expect(() => outboxTableStatements('x; DROP TABLE y')).toThrow(
      'outboxTableStatements: table "x; DROP TABLE y" must be a lower-case identifier',
    );
  });

  it('a missing table is OUTBOX_TABLE_MISSING naming it', async () => {
    const other = new Outbox(db, { table: 'no_such_outbox' });
    const error = await other.add('q', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOperationError);
    expect((error as InvalidOperationError).code).toBe('OUTBOX_TABLE_MISSING');
    expect((error as Error).message).toMatch(/^The outbox table "no_such_outbox" does not exist/);
  });
});

describe('Outbox.add', () => {
  it('writes the message with the business data, and not at all when it rolls back', async () => {
    await db.execute('CREATE TABLE orders (id int PRIMARY KEY)');
    const id = await transactional(
      async () => {
        await db.execute('INSERT INTO orders VALUES (1)');
        return outbox.add(
          'orders',
          { orderId: 1 },
          { key: 'o-1', type: 'OrderPlaced', headers: { t: 'x' } },
        );
      },
      { database: db },
    );
    await expect(
      transactional(
        async () => {
          await db.execute('INSERT INTO orders VALUES (2)');
          await outbox.add('orders', { orderId: 2 }, { key: 'o-2' });
          throw new Error('business rule broken');
        },
        { database: db },
      ),
    ).rejects.toThrow('business rule broken');
    const rows = await db.fetch<Record<string, unknown>>(
      "SELECT message_id, queue, key, type, headers, payload, published_at, attempts FROM libretto_outbox WHERE queue = 'orders'",
    );
    expect(rows).toEqual([
      {
        message_id: id,
        queue: 'orders',
        key: 'o-1',
        type: 'OrderPlaced',
        headers: { t: 'x' },
        payload: { orderId: 1 },
        published_at: null,
        attempts: 0,
      },
    ]);
    expect(await db.fetchVal('SELECT count(*)::int FROM orders')).toBe(1);
    await db.execute("DELETE FROM libretto_outbox WHERE queue = 'orders'");
  });

  it('answers bad input with INVALID_OPTION naming the field', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => outbox.add('', 1), 'outbox.add(): queue must be a non-empty name'],
      [() => outbox.add('amq.x', 1), 'outbox.add(amq.x): queue "amq.x": names starting with amq.'],
      [() => outbox.add('q', undefined), 'outbox.add(q): data must be a JSON value, not undefined'],
      [() => outbox.add('q', { n: 1n }), 'outbox.add(q): data cannot be written as JSON'],
      [
        () => outbox.add('q', 1, { key: 7 as never }),
        'outbox.add(q): key must be a non-empty string or null',
      ],
      [
        () => outbox.add('q', 1, { headers: { a: 1 as never } }),
        'outbox.add(q): headers.a must be a string',
      ],
      [() => outbox.add('q', 1, { delay: 5 } as never), 'outbox.add(q): delay unknown option'],
      [() => outbox.add('q', 1, { id: '' }), 'outbox.add(q): id must be a non-empty string'],
    ];
    for (const [call, message] of cases) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).code).toBe('INVALID_OPTION');
      expect((error as Error).message.split('\n')[0]).toContain(message);
    }
    expect(() => new Outbox(db, { table: 'Bad-Name' })).toThrow('Outbox: table "Bad-Name" must be');
    expect(() => new OutboxRelay({ batchSize: 0 })).toThrow(
      'OutboxRelay: batchSize must be an integer from 1 to 10000',
    );
    expect(() => new OutboxRelay({ batchesInFlight: 9 })).toThrow(
      'OutboxRelay: batchesInFlight must be an integer from 1 to 8',
    );
    expect(() => new OutboxRelay({ backoff: { initalDelay: 1 } as never })).toThrow(
      'OutboxRelay: backoff.initalDelay unknown option',
    );
  });
});

describe('Database.listen on PGlite', () => {
  it('hears a notification when its transaction commits, never when it rolls back', async () => {
    const heard: string[] = [];
    const listener = await db.listen('outbox_test_channel', (p) => heard.push(p));
    await db
      .transaction(async () => {
        await db.execute("SELECT pg_notify('outbox_test_channel', 'rolled')");
        throw new Error('no');
      })
      .catch(() => undefined);
    await db.transaction(async () => {
      await db.execute("SELECT pg_notify('outbox_test_channel', 'committed')");
    });
    await eventually(() => heard.length > 0);
    expect(heard).toEqual(['committed']);
    await listener.close();
    await expect(db.listen('bad channel', () => {})).rejects.toThrow(
      'listen: channel must be an identifier',
    );
  });
});

describe('the relay on PGlite', async () => {
  const available = await rabbitAvailable();
  let broker: RabbitMqBroker;
  let inspector: QueueInspector;
  const prefix = uniquePrefix('outbox');

  beforeAll(async () => {
    if (!available) return;
    broker = await Broker.connect(testSettings({ queuePrefix: prefix }));
    inspector = await QueueInspector.open();
  });
  afterAll(async () => {
    await broker?.close();
    await inspector?.close();
  });

  for (const listen of [true, false]) {
    it.skipIf(!available)(
      `publishes committed messages in order per key, never a rolled-back one (${listen ? 'LISTEN' : 'polling'})`,
      async () => {
        const queue = `pglite-${listen}`;
        inspector.track(broker.queueName(queue));
        const received = await Received.on(broker, queue);
        const { app, relay } = await startRelay(db, broker, { listen, pollInterval: 200 });
        expect(relay.listening).toBe(listen);
        for (let seq = 0; seq < 10; seq++) {
          for (const key of ['a', 'b']) {
            await transactional(() => outbox.add(queue, { seq }, { key }), { database: db });
          }
        }
        await transactional(
          async () => {
            await outbox.add(queue, { seq: 99 }, { key: 'a' });
            throw new Error('rolled back');
          },
          { database: db },
        ).catch(() => undefined);
        await eventually(() => received.distinct === 20);
        await app.stop();
        expect(received.orderViolations()).toEqual([]);
        expect(received.byKey.get('a')).not.toContain(99);
        expect(relay.stats.published).toBe(20);
        expect(
          await db.fetchVal(
            'SELECT count(*)::int FROM libretto_outbox WHERE queue = $1 AND published_at IS NULL',
            [queue],
          ),
        ).toBe(0);
        await received.consumer?.stop();
      },
    );
  }

  it.skipIf(!available)(
    'a failed publish keeps the row, counts the attempt and the error, and is retried',
    async () => {
      const queue = 'pglite-retry';
      inspector.track(broker.queueName(queue));
      const dead = await Broker.connect(testSettings({ queuePrefix: prefix }));
      await dead.close(); // every send now fails at once
      await transactional(() => outbox.add(queue, { seq: 0 }, { key: 'k' }), { database: db });
      const failing = await startRelay(db, dead, {
        listen: false,
        pollInterval: 50,
        backoff: { initialDelay: 1 },
      });
      await eventually(
        async () =>
          ((await db.fetchVal<number>('SELECT attempts FROM libretto_outbox WHERE queue = $1', [
            queue,
          ])) ?? 0) >= 2,
      );
      await failing.app.stop();
      const row = await db.fetchOne<{ published_at: unknown; last_error: string }>(
        'SELECT published_at, last_error FROM libretto_outbox WHERE queue = $1',
        [queue],
      );
      expect(row?.published_at).toBeNull();
      expect(row?.last_error).toContain('closed');
      const received = await Received.on(broker, queue);
      const { app } = await startRelay(db, broker, { listen: false, pollInterval: 50 });
      await eventually(() => received.distinct === 1);
      await app.stop();
      await received.consumer?.stop();
    },
  );
});
