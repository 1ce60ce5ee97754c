// The outbox on a libretto/testing cluster (synchronous replication): the primary killed and
// the most advanced replica promoted while messages are committed. Every acknowledged
// commit's message is published, in order per key, by a relay whose LISTEN follows the
// master (its poll interval is too long to hide a listen left on the dead host).
import { Outbox, type RabbitMqBroker } from 'libretto/messaging';
import { Database } from 'libretto/postgres';
import { HaPool, PoolManager } from 'libretto/postgres/ha';
import { type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Received, startRelay } from './outbox-helpers.js';
import {
  RabbitMqBroker as Broker,
  eventually,
  QueueInspector,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const available = await rabbitAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cluster: PostgresCluster;
let manager: PoolManager;
let db: Database;
let broker: RabbitMqBroker;
let inspector: QueueInspector;

beforeAll(async () => {
  if (!available) return;
  cluster = await startPostgresCluster({ replicas: 2, synchronous: true });
  manager = await PoolManager.create({
    dsn: cluster.dsn(),
    refreshDelayMs: 200,
    refreshTimeoutMs: 500,
    acquireTimeoutMs: 2_000,
    pool: { maxSize: 12 },
  });
  await manager.ready(1, 2, 15_000);
  db = new Database(new HaPool(manager));
  await Outbox.ensureTable(db);
  await cluster.waitForReplication();
  broker = await Broker.connect(testSettings({ queuePrefix: uniquePrefix('outbox-ha') }));
  inspector = await QueueInspector.open();
});
afterAll(async () => {
  await broker?.close();
  await inspector?.close();
  await manager?.close();
  await cluster?.close();
});

describe.skipIf(!available)('the outbox relay on an HA cluster', () => {
  it('publishes every acknowledged commit across a failover, LISTEN following the master', async () => {
    const queue = 'ha';
    inspector.track(broker.queueName(queue));
    const received = await Received.on(broker, queue);
    const outbox = new Outbox(db);
    const { app, relay } = await startRelay(db, broker, { pollInterval: 60_000 });
    expect(relay.listening).toBe(true);
    const acked: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let seq = 0; !stop; ) {
        try {
          await db.transaction(() => outbox.add(queue, { seq }, { key: `w${w}` }));
          acked.push(`w${w}:${seq}`);
          seq++;
        } catch {
          await sleep(20); // the same seq again: a commit that failed may have happened
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    try {
      await eventually(() => received.distinct > 200, 20_000);
      await cluster.kill(cluster.primary);
      await cluster.promote(await cluster.mostAdvancedReplica());
      const before = acked.length;
      await eventually(() => acked.length > before + 200, 20_000);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    const seen = () => {
      const got = new Set<string>();
      for (const [key, seqs] of received.byKey) for (const s of seqs) got.add(`${key}:${s}`);
      return got;
    };
    await eventually(() => acked.every((a) => seen().has(a)), 30_000);
    await app.stop();
    console.log(
      `outbox HA failover: ${acked.length} acknowledged commits, all published; ${received.duplicates} duplicates`,
    );
    expect(received.orderViolations()).toEqual([]);
    await received.consumer?.stop();
  }, 120_000);
});
