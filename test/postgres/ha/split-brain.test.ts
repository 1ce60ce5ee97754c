import { DependencyUnavailableError } from 'libretto';
import { Database } from 'libretto/postgres';
import { HaPool, PoolManager, type PoolManagerEvent } from 'libretto/postgres/ha';
import { type ClusterNode, type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

// Each test makes two hosts claim master on a cluster of its own, which it leaves broken.
let cluster: PostgresCluster | undefined;
let manager: PoolManager | undefined;
afterEach(async () => {
  await manager?.close();
  await cluster?.close();
  manager = undefined;
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

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function startManager(c: PostgresCluster, replicas: number): Promise<PoolManager> {
  const m = await PoolManager.create({
    dsn: c.dsn(),
    refreshDelayMs: 200,
    refreshTimeoutMs: 400,
    acquireTimeoutMs: 1_000,
    // A statement sent into the stall fails after 1 s instead of waiting for the network.
    pool: { maxSize: 8, queryTimeoutMs: 1_000 },
  });
  await m.ready(1, replicas, 15_000);
  return m;
}

interface Attempt {
  readonly key: string;
  readonly startedAt: number;
  outcome: 'pending' | 'acked' | 'failed';
}

describe('split-brain guard', () => {
  it('frozen master: stalled, replaced, back again — it is fenced and takes no write', async () => {
    cluster = await startPostgresCluster({ replicas: 2, synchronous: true });
    const c = cluster;
    const old = c.primary;
    await direct(old, 'CREATE TABLE writes (writer int, seq int, PRIMARY KEY (writer, seq))');
    await c.waitForReplication();
    manager = await startManager(c, 2);
    const m = manager;
    const events: (PoolManagerEvent & { at: number })[] = [];
    m.onEvent((e) => events.push({ ...e, at: performance.now() }));
    const db = new Database(new HaPool(m));

    const attempts: Attempt[] = [];
    const errors = new Set<string>();
    let stop = false;
    const writer = async (id: number) => {
      for (let seq = 0; !stop; seq++) {
        const attempt: Attempt = {
          key: `${id}:${seq}`,
          startedAt: performance.now(),
          outcome: 'pending',
        };
        attempts.push(attempt);
        try {
          await db.execute('INSERT INTO writes (writer, seq) VALUES ($1, $2)', [id, seq]);
          attempt.outcome = 'acked';
        } catch (error) {
          attempt.outcome = 'failed';
          errors.add((error as Error).constructor.name);
          await sleep(20);
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, i) => writer(i));
    let ackedAfterUnstall = 0;
    try {
      await sleep(400);
      // The old master freezes: its connections stay open but carry nothing either way.
      old.proxy.set('stall');
      const stalledAt = performance.now();
      const chosen = await c.mostAdvancedReplica();
      await c.promote(chosen);
      const newPool = m.pools.find((p) => p.address === chosen.address);
      await until('the promoted replica as master', () => m.getMasterPools()[0] === newPool);
      // Frozen past the query timeout: statements sent into the stall fail to their callers.
      await sleep(Math.max(500, 1_500 - (performance.now() - stalledAt)));

      // Thawed, it still says it is the master (nothing told it otherwise): two claimants.
      old.proxy.set('pass');
      const oldPool = m.pools.find((p) => p.address === old.address);
      await until(
        'the old master fenced',
        () => oldPool !== undefined && m.roleOf(oldPool) === 'fenced',
      );
      const [claim] = await direct<{ recovery: boolean }>(
        old,
        'SELECT pg_is_in_recovery() AS recovery',
      );
      expect(claim?.recovery).toBe(false);
      const thawed = attempts.length;
      await sleep(600);
      ackedAfterUnstall = attempts.slice(thawed).filter((a) => a.outcome === 'acked').length;
    } finally {
      stop = true;
      await Promise.all(writers);
    }

    // Writes went on, to the new master only; those caught in the freeze timed out.
    expect(ackedAfterUnstall).toBeGreaterThan(0);
    expect([...errors]).toEqual(['DeadlineExceededError']);
    expect(m.getMasterPools().map((p) => p.address)).toEqual([c.primary.address]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'split-brain',
        hosts: expect.arrayContaining([old.address, c.primary.address]),
        master: c.primary.address,
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'fencing',
        host: old.address,
        reason: expect.stringMatching(
          new RegExp(
            `^reports master on timeline 1, older than (${c.primary.address} on timeline 2|timeline 2 seen before)$`,
          ),
        ),
      }),
    );
    const oldMetrics = m.metrics().find((h) => h.host === old.address);
    expect(oldMetrics?.role).toBe('fenced');
    // Fenced as soon as a newer timeline shows, even before its own check times out.
    const oldRoles = events.flatMap((e) =>
      e.type === 'role-change' && e.host === old.address ? [e.to] : [],
    );
    expect(oldRoles.at(-1)).toBe('fenced');
    expect(oldRoles).not.toContain('master');

    // Let the old master finish whatever reached it: with no synchronous standby left, its
    // commits wait for one forever; without the requirement they complete and show.
    await direct(old, "ALTER SYSTEM SET synchronous_standby_names = ''");
    await direct(old, 'SELECT pg_reload_conf()');
    await sleep(300);
    const keys = async (node: ClusterNode) =>
      new Set(
        (await direct<{ k: string }>(node, "SELECT writer || ':' || seq AS k FROM writes")).map(
          (r) => r.k,
        ),
      );
    const [onOld, onNew] = await Promise.all([keys(old), keys(c.primary)]);

    // Nothing acknowledged is lost.
    const lost = attempts.filter((a) => a.outcome === 'acked' && !onNew.has(a.key));
    expect(lost).toEqual([]);
    // Only on the old master: writes sent before the manager stopped using it, held by the
    // frozen network and answered to their callers with an error — never one sent after.
    const leftOld = events.find(
      (e) => e.type === 'role-change' && e.host === old.address && e.from === 'master',
    )?.at;
    expect(leftOld).toBeDefined();
    const byKey = new Map(attempts.map((a) => [a.key, a]));
    const stray = [...onOld].filter((k) => !onNew.has(k)).map((k) => byKey.get(k));
    for (const attempt of stray) {
      expect(attempt?.outcome).toBe('failed');
      expect(attempt?.startedAt).toBeLessThan(leftOld as number);
    }
    console.log(
      `frozen master: ${attempts.filter((a) => a.outcome === 'acked').length} acknowledged, ${stray.length} held writes reached the old master after the thaw (all failed to their callers), errors: ${[...errors].join(', ')}`,
    );
  });

  it('equal timelines: two masters contest, neither takes writes until one yields', async () => {
    cluster = await startPostgresCluster({ replicas: 2 });
    const c = cluster;
    const [primary, r1, r2] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
    manager = await startManager(c, 2);
    const m = manager;
    const events: PoolManagerEvent[] = [];
    m.onEvent((e) => events.push(e));
    const db = new Database(new HaPool(m));

    // Two failover tools disagree: both replicas are promoted from the same timeline.
    await c.kill(primary);
    await Promise.all([
      direct(r1, 'SELECT pg_promote(true, 60)'),
      direct(r2, 'SELECT pg_promote(true, 60)'),
    ]);
    const [p1, p2] = [r1, r2].map((n) => m.pools.find((p) => p.address === n.address));
    await until(
      'both contested',
      () => m.roleOf(p1!) === 'contested' && m.roleOf(p2!) === 'contested',
    );
    expect(events).toContainEqual({ type: 'split-brain', hosts: [r1.address, r2.address] });
    expect(m.getMasterPools()).toEqual([]);
    await expect(m.acquireMaster({ timeout: 300 })).rejects.toThrow(DependencyUnavailableError);
    await expect(db.execute('SELECT 1', [])).rejects.toThrow(/No master connection/);

    // One yields (here: it is stopped); the other takes writes again.
    await c.kill(r2);
    await until('r1 master', () => m.roleOf(p1!) === 'master');
    expect(await db.fetchOne<{ one: number }>('SELECT 1 AS one', [])).toEqual({ one: 1 });
    expect(m.metrics().find((h) => h.host === r1.address)).toMatchObject({
      role: 'master',
    });
    // unavailable → replica → (master, if checked between the two promotions) → contested → master
    expect(m.metrics().find((h) => h.host === r1.address)?.roleChanges).toBeGreaterThanOrEqual(3);
  });
});
