import { model, repository, SchemaRegistry } from 'libretto/data';
import { Database, readYourWrites, transactional } from 'libretto/postgres';
import { HaPool, PoolManager } from 'libretto/postgres/ha';
import { type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const Item = model('item', { label: z.string() }, { versioned: true });

let cluster: PostgresCluster;
let manager: PoolManager;
let db: Database;

async function onEachReplica(text: string): Promise<void> {
  for (const node of cluster.replicas) {
    const client = new pg.Client({ connectionString: node.server.dsn() });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }
}

beforeAll(async () => {
  cluster = await startPostgresCluster({ replicas: 2 });
  manager = await PoolManager.create({ dsn: cluster.dsn(), refreshDelayMs: 100 });
  await manager.ready(1, 2, 15_000);
  db = new Database(new HaPool(manager));
  await new SchemaRegistry([Item]).ensureSchema(db);
  await cluster.waitForReplication();
});
afterAll(async () => {
  await manager?.close();
  await cluster?.close();
});

describe('repository reads on an HA cluster', () => {
  it('reads from replicas when asked; in a transaction or after a write in the unit of work, from the master', async () => {
    const items = repository(Item, db, { readFromReplicas: true });
    const onMaster = repository(Item, db);
    // Replicas stop replaying: whatever is written now is on the master only.
    await onEachReplica('SELECT pg_wal_replay_pause()');
    try {
      const saved = await items.save(Item.create({ label: 'fresh' }));
      expect(await items.getOrNone(saved.entityId)).toBeUndefined(); // a replica: not there yet
      expect(await onMaster.get(saved.entityId)).toEqual(saved);
      expect(await items.getOrNone(saved.entityId, { replica: false })).toEqual(saved);

      await transactional(
        async () => {
          expect(await items.get(saved.entityId)).toEqual(saved);
        },
        { database: db },
      );
      await readYourWrites(async () => {
        expect(await items.getOrNone(saved.entityId)).toBeUndefined(); // nothing written yet
        const again = await items.save({ ...saved, label: 'mine' });
        expect(await items.get(saved.entityId)).toEqual(again); // read-your-writes
        expect((await items.search({ where: { label: 'mine' } })).total).toBe(1);
      });
    } finally {
      await onEachReplica('SELECT pg_wal_replay_resume()');
    }
    await cluster.waitForReplication();
    expect((await items.search({ where: { label: 'mine' } })).total).toBe(1);
  });
});
