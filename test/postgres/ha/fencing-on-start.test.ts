import { Database } from 'libretto/postgres';
import { HaPool, PoolManager, type PoolManagerEvent } from 'libretto/postgres/ha';
import { type ClusterNode, type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

// Each test leaves its cluster broken (two masters, or a frozen one): a cluster per test.
let cluster: PostgresCluster | undefined;
const managers: PoolManager[] = [];
afterEach(async () => {
  for (const node of cluster?.nodes ?? []) node.proxy.set('pass');
  for (const m of managers.splice(0)) await m.close();
  await cluster?.close();
  cluster = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A statement straight to a node's server, past its proxy. */
async function direct<R extends pg.QueryResultRow>(node: ClusterNode, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: node.server.dsn() });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

const keysOn = async (node: ClusterNode) =>
  new Set((await direct<{ k: string }>(node, 'SELECT k FROM writes')).map((r) => r.k));

describe('HA manager: a new instance does not write to a fenced master', () => {
  it('old master frozen, replica promoted, old thawed: 20 fresh managers, 0 writes reach the old master', async () => {
    // Asynchronous replication: a write that reached the old master commits there and shows.
    cluster = await startPostgresCluster({ replicas: 1 });
    const c = cluster;
    const old = c.primary;
    await direct(old, 'CREATE TABLE writes (k text PRIMARY KEY)');
    await c.waitForReplication();

    old.proxy.set('stall');
    const [replica] = c.replicas as [ClusterNode];
    await c.promote(replica);
    // Thawed: it still says it is the master, on the timeline the promotion left behind; it
    // is first in the DSN, so it is the first to answer a new manager.
    old.proxy.set('pass');
    const [claim] = await direct<{ recovery: boolean }>(
      old,
      'SELECT pg_is_in_recovery() AS recovery',
    );
    expect(claim?.recovery).toBe(false);

    const oldRoles: string[] = [];
    const fencing: PoolManagerEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const m = await PoolManager.create({
        dsn: c.dsn(),
        refreshDelayMs: 200,
        refreshTimeoutMs: 1_000,
      });
      managers.push(m);
      m.onEvent((e) => {
        if (e.type === 'fencing') fencing.push(e);
      });
      await m.ready(1, 0, 10_000);
      const oldPool = m.pools.find((p) => p.address === old.address);
      oldRoles.push(oldPool === undefined ? 'missing' : m.roleOf(oldPool));
      const db = new Database(new HaPool(m));
      await db.execute('INSERT INTO writes (k) VALUES ($1)', [`new-${i}`]);
      await m.close();
      managers.pop();
    }

    const [onOld, onNew] = await Promise.all([keysOn(old), keysOn(replica)]);
    expect([...onOld]).toEqual([]);
    expect(onNew.size).toBe(20);
    // ready() returned only once both were checked: the old master was already fenced.
    expect(new Set(oldRoles)).toEqual(new Set(['fenced']));
    // Each manager said so once, with both timelines and the newer master.
    expect(fencing).toEqual(
      Array(20).fill({
        type: 'fencing',
        host: old.address,
        reason: `reports master on timeline 1, older than ${replica.address} on timeline 2`,
      }),
    );
  });

  it('callers queued on a frozen master succeed on the new master within refresh + 1 s', async () => {
    cluster = await startPostgresCluster({ replicas: 1 });
    const c = cluster;
    const old = c.primary;
    await direct(old, 'CREATE TABLE writes (k text PRIMARY KEY)');
    await c.waitForReplication();
    const refreshDelayMs = 200;
    const m = await PoolManager.create({
      dsn: c.dsn(),
      refreshDelayMs,
      refreshTimeoutMs: 400,
      // The default acquire timeout (5 s): queued callers would wait it out on the old pool.
      pool: { maxSize: 2, queryTimeoutMs: 1_000 },
    });
    managers.push(m);
    await m.ready(1, 1, 15_000);
    const db = new Database(new HaPool(m));

    // Every connection of the master's pool is held: the callers below queue on it.
    const held = [await m.acquireMaster(), await m.acquireMaster()];
    const done: { at: number; error?: unknown }[] = [];
    const callers = Array.from({ length: 6 }, (_, i) =>
      db.execute('INSERT INTO writes (k) VALUES ($1)', [`queued-${i}`]).then(
        () => done.push({ at: performance.now() }),
        (error: unknown) => done.push({ at: performance.now(), error }),
      ),
    );
    await sleep(100);
    expect(m.metrics()[0]).toMatchObject({ host: old.address, waiting: 6, used: 2 });

    old.proxy.set('stall');
    // Counted from the start of the promotion: the new master is usable once it ends.
    const promotedAt = performance.now();
    await c.promote(c.replicas[0] as ClusterNode);
    await Promise.all(callers);

    expect(done.map((d) => d.error)).toEqual(Array(6).fill(undefined));
    const latest = Math.max(...done.map((d) => d.at)) - promotedAt;
    console.log(
      `queued callers: the last succeeded ${latest.toFixed(0)} ms after the promotion began`,
    );
    expect(latest).toBeLessThanOrEqual(refreshDelayMs + 1_000);
    const onNew = await keysOn(c.primary);
    expect([...onNew].sort()).toEqual(Array.from({ length: 6 }, (_, i) => `queued-${i}`));
    for (const h of held) h.release();
  });
});
