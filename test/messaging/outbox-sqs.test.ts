// The outbox relay publishing to SQS (the protocol-level test server, not AWS) from a
// PostgreSQL server (libretto/testing): every committed message arrives, in order per key on
// a FIFO queue, where the key is the message group.
import { Outbox, SqsBroker } from 'libretto/messaging';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './broker-conformance.js';
import { Received, startRelay } from './outbox-helpers.js';
import { sqsTestSettings } from './sqs.js';
import { SqsServer } from './sqs-server.js';

let postgres: TestPostgres;
let db: Database;
let sqs: SqsServer;
let broker: SqsBroker;

beforeAll(async () => {
  postgres = await startPostgres();
  db = new Database(await PgPool.create({ connectionString: postgres.dsn }));
  await Outbox.ensureTable(db);
  sqs = await SqsServer.start();
  broker = await SqsBroker.connect(sqsTestSettings(sqs));
});
afterAll(async () => {
  await broker?.close();
  await sqs?.close();
  await db?.close();
  await postgres?.stop();
});

describe('the outbox relay on SQS', () => {
  it('publishes every committed message to a FIFO queue, in order per key', async () => {
    const received = await Received.on(broker, 'events.fifo');
    const { app, relay } = await startRelay(db, broker, { batchSize: 20 });
    try {
      const outbox = new Outbox(db);
      for (let seq = 0; seq < 30; seq++) {
        for (const key of ['a', 'b', 'c']) {
          await db.transaction(() => outbox.add('events.fifo', { seq }, { key }));
        }
      }
      await eventually(() => received.distinct === 90, 30_000);
      expect(received.orderViolations()).toEqual([]);
      expect([...received.byKey.keys()].sort()).toEqual(['a', 'b', 'c']);
      // A message can arrive before its relay has counted it.
      await eventually(() => relay.stats.published >= 90);
    } finally {
      await app.stop();
      await received.consumer?.stop();
    }
  }, 60_000);
});
