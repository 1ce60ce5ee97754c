import { Database } from 'libretto/postgres';
import { HaPool, PoolManager } from 'libretto/postgres/ha';
import { type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Synchronous replication (ANY 1 of the replicas): an acknowledged commit is on a replica,
// and the failover promotes the replica that received the most WAL, as a failover tool does.
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster({ replicas: 2, synchronous: true });
  const setup = new pg.Client({ connectionString: cluster.primary.dsn() });
  await setup.connect();
  await setup.query('CREATE TABLE acked (writer int, seq int, PRIMARY KEY (writer, seq))');
  await setup.end();
  await cluster.waitForReplication();
});
afterAll(() => cluster?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('master failover under load (HA role changes)', () => {
  it('resumes writes on the promoted replica within refreshDelay + 1 s and keeps every acknowledged write', async () => {
    const refreshDelayMs = 200;
    const manager = await PoolManager.create({
      dsn: cluster.dsn(),
      refreshDelayMs,
      refreshTimeoutMs: 500,
      acquireTimeoutMs: 2_000,
      pool: { maxSize: 16 },
    });
    await manager.ready(1, 2, 15_000);
    const db = new Database(new HaPool(manager));
    const acked: [number, number][] = [];
    const errors: string[] = [];
    let promotedAt = Number.POSITIVE_INFINITY;
    let firstWriteAfter = Number.POSITIVE_INFINITY;
    let stop = false;

    const writer = async (id: number) => {
      for (let seq = 0; !stop; seq++) {
        try {
          await db.execute('INSERT INTO acked (writer, seq) VALUES ($1, $2)', [id, seq]);
          const now = performance.now();
          if (now > promotedAt && now < firstWriteAfter) firstWriteAfter = now;
          acked.push([id, seq]);
        } catch (error) {
          errors.push((error as Error).constructor.name);
          await sleep(10);
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, i) => writer(i));
    try {
      await sleep(500);
      const before = acked.length;
      expect(before).toBeGreaterThan(0);
      const old = cluster.primary;
      await cluster.kill(old);
      const chosen = await cluster.mostAdvancedReplica();
      await cluster.promote(chosen);
      promotedAt = performance.now();
      for (
        let waited = 0;
        firstWriteAfter === Number.POSITIVE_INFINITY && waited < 10_000;
        waited += 50
      ) {
        await sleep(50);
      }
      await sleep(300);
    } finally {
      stop = true;
      await Promise.all(writers);
    }

    const resumedAfter = firstWriteAfter - promotedAt;
    console.log(
      `failover: first write ${resumedAfter.toFixed(0)} ms after promotion; ${acked.length} acknowledged writes; errors seen by callers: ${errors.length} (${[...new Set(errors)].join(', ')})`,
    );
    expect(resumedAfter).toBeLessThanOrEqual(refreshDelayMs + 1_000);
    expect(errors.every((e) => e === 'DependencyUnavailableError')).toBe(true);

    const rows = await db.fetch<{ writer: number; seq: number }>('SELECT writer, seq FROM acked');
    const present = new Set(rows.map((r) => `${r.writer}:${r.seq}`));
    const lost = acked.filter(([w, s]) => !present.has(`${w}:${s}`));
    expect(lost).toEqual([]);
    await manager.close();
  });
});
