// HA benchmark, two parts on throwaway clusters from libretto/testing:
// 1. acquire + SELECT 1 + release through the PoolManager against a bare pg Pool on the same
//    host (and Libretto's single-host PgPool, to show what the HA layer itself costs),
//    8 callers over pools of 8, rotating rounds, median; and the Database fast path.
// 2. The failover timeline of the load test: 16 writers with acknowledged inserts on a
//    synchronous cluster, the primary killed, the most advanced replica promoted: time from
//    promotion to the first successful write, errors seen by callers, writes lost.
// 3. A frozen master (every server process SIGSTOPped) under 16 writers over pools of 8, so
//    that half the callers are queued on its pool; a replica promoted: time from promotion
//    to the first acknowledged write, the longest successful call (a caller that waited), errors.
//   npm run bench:ha        BENCH_SECONDS (4 per contender and round), BENCH_ROUNDS (5),
//                           BENCH_PARTS (throughput,failover,frozen)
import { readdirSync, readFileSync } from 'node:fs';
import { Database, PgPool } from 'libretto/postgres';
import { HaPool, PoolManager } from 'libretto/postgres/ha';
import { type ClusterNode, type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { drive, type RoundContender, resultHeader, resultLine, rounds } from '../rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLERS = 8;
const POOL = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Straight to the servers, not through the in-process proxies (which would share our CPU). */
const serverAddress = (node: ClusterNode) => `127.0.0.1:${node.server.port}`;

async function managerOf(cluster: PostgresCluster, refreshDelayMs = 1_000): Promise<PoolManager> {
  const manager = await PoolManager.create({
    hosts: cluster.nodes.map(serverAddress),
    user: 'postgres',
    database: 'postgres',
    refreshDelayMs,
    pool: { maxSize: POOL },
  });
  await manager.ready(1, cluster.replicas.length, 15_000);
  return manager;
}

function contender(
  name: string,
  open: () => Promise<{ op: () => Promise<unknown>; close: () => Promise<void> }>,
): RoundContender {
  return {
    name,
    open: async () => {
      const { op, close } = await open();
      return { run: () => drive(op, CALLERS, SECONDS), close };
    },
  };
}

/** A bare pg Pool: connect, one statement, release. */
function pgPoolAcquiring(
  name: string,
  dsn: string,
  statement: string | pg.QueryConfig,
): RoundContender {
  return contender(name, async () => {
    const pool = new pg.Pool({ connectionString: dsn, max: POOL });
    return {
      op: async () => {
        const client = await pool.connect();
        try {
          await client.query(statement);
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  });
}

async function throughput(): Promise<void> {
  const cluster = await startPostgresCluster({ replicas: 2 });
  try {
    const primary = cluster.primary.server.dsn();
    const manager = () => managerOf(cluster);
    const acquired = await rounds(
      [
        contender('libretto PoolManager.acquireMaster', async () => {
          const m = await manager();
          return {
            op: async () => {
              const conn = await m.acquireMaster();
              try {
                await conn.query('SELECT 1', []);
              } finally {
                conn.release();
              }
            },
            close: () => m.close(),
          };
        }),
        pgPoolAcquiring('pg Pool connect/query/release', primary, 'SELECT 1'),
        pgPoolAcquiring('pg Pool, hand-named statement', primary, {
          name: 'one',
          text: 'SELECT 1',
        }),
        contender('libretto PgPool (one host)', async () => {
          const pool = await PgPool.create({ connectionString: primary, maxSize: POOL });
          return {
            op: async () => {
              const conn = await pool.acquire();
              try {
                await conn.query('SELECT 1', []);
              } finally {
                conn.release();
              }
            },
            close: () => pool.close(),
          };
        }),
      ],
      ROUNDS,
    );
    print(
      `acquire + SELECT 1 + release on the master — ${CALLERS} callers, pools of ${POOL}`,
      acquired,
    );

    const queried = await rounds(
      [
        contender('libretto Database on HaPool', async () => {
          const m = await manager();
          const db = new Database(new HaPool(m));
          return { op: () => db.fetchOne('SELECT 1', []), close: () => m.close() };
        }),
        contender('libretto Database on PgPool', async () => {
          const pool = await PgPool.create({ connectionString: primary, maxSize: POOL });
          const db = new Database(pool);
          return { op: () => db.fetchOne('SELECT 1', []), close: () => pool.close() };
        }),
        contender('pg pool.query', async () => {
          const pool = new pg.Pool({ connectionString: primary, max: POOL });
          return { op: () => pool.query('SELECT 1'), close: () => pool.end() };
        }),
      ],
      ROUNDS,
    );
    print(`db.fetchOne('SELECT 1') on the master — ${CALLERS} callers, pools of ${POOL}`, queried);
  } finally {
    await cluster.close();
  }
}

function print(title: string, rows: [string, Awaited<ReturnType<typeof drive>>][]): void {
  const base = rows[0]?.[1].ops ?? 1;
  console.log(`\n${title}; ${ROUNDS} rounds of ${SECONDS} s, median; Node ${process.version}`);
  console.log(resultHeader('libretto as % of it'));
  for (const [name, r] of rows) {
    const ratio = r === rows[0]?.[1] ? '—' : `${((100 * base) / r.ops).toFixed(0)}%`;
    console.log(resultLine(name, r, ratio));
  }
}

/** The table of acknowledged writes, created on the primary and replicated before the run. */
async function createAckedTable(
  cluster: { waitForReplication(): Promise<unknown> },
  dsn: string,
): Promise<void> {
  const setup = new pg.Client({ connectionString: dsn });
  await setup.connect();
  await setup.query('CREATE TABLE acked (writer int, seq int, PRIMARY KEY (writer, seq))');
  await setup.end();
  await cluster.waitForReplication();
}

/** The load test's failover, timed: kill the primary under 16 writers, promote, watch. */
async function failover(refreshDelayMs: number): Promise<void> {
  const cluster = await startPostgresCluster({ replicas: 2, synchronous: true });
  try {
    await createAckedTable(cluster, cluster.primary.server.dsn());
    const manager = await PoolManager.create({
      hosts: cluster.nodes.map(serverAddress),
      user: 'postgres',
      database: 'postgres',
      refreshDelayMs,
      acquireTimeoutMs: 2_000,
      pool: { maxSize: 16 },
    });
    await manager.ready(1, 2, 15_000);
    // What the checks reported while the primary died: typed error events, by code.
    const checkErrors = new Map<string, number>();
    manager.onEvent((event) => {
      if (event.type !== 'error') return;
      checkErrors.set(event.error.code, (checkErrors.get(event.error.code) ?? 0) + 1);
    });
    const db = new Database(new HaPool(manager));
    const acked: string[] = [];
    const errors = new Map<string, number>();
    let killedAt = 0;
    let promotedAt = Number.POSITIVE_INFINITY;
    let firstWrite = Number.POSITIVE_INFINITY;
    let lastBeforeKill = 0;
    let stop = false;
    const writer = async (id: number) => {
      for (let seq = 0; !stop; seq++) {
        try {
          await db.execute('INSERT INTO acked (writer, seq) VALUES ($1, $2)', [id, seq]);
          const now = performance.now();
          if (now > promotedAt && now < firstWrite) firstWrite = now;
          if (killedAt === 0) lastBeforeKill = now;
          acked.push(`${id}:${seq}`);
        } catch (error) {
          const name = (error as Error).constructor.name;
          errors.set(name, (errors.get(name) ?? 0) + 1);
          await sleep(10);
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, i) => writer(i));
    try {
      await sleep(1_000);
      const old = cluster.primary;
      killedAt = performance.now();
      await cluster.kill(old);
      const chosen = await cluster.mostAdvancedReplica();
      const promoteStarted = performance.now();
      await cluster.promote(chosen);
      promotedAt = performance.now();
      const deadline = promotedAt + 15_000;
      while (firstWrite === Number.POSITIVE_INFINITY && performance.now() < deadline) {
        await sleep(10);
      }
      await sleep(500);
      stop = true;
      await Promise.all(writers);
      const rows = await db.fetch<{ k: string }>("SELECT writer || ':' || seq AS k FROM acked", []);
      const present = new Set(rows.map((r) => r.k));
      const lost = acked.filter((k) => !present.has(k)).length;
      const seen = [...errors].map(([name, n]) => `${n} ${name}`).join(', ') || 'none';
      console.log(
        `\nFailover, refreshDelay ${refreshDelayMs} ms (16 writers, synchronous replication)\n` +
          `  last write before the kill → kill:        ${(killedAt - lastBeforeKill).toFixed(0)} ms\n` +
          `  kill → promotion done (pg_promote):       ${(promotedAt - killedAt).toFixed(0)} ms (promotion itself ${(promotedAt - promoteStarted).toFixed(0)} ms)\n` +
          `  promotion → first acknowledged write:     ${(firstWrite - promotedAt).toFixed(0)} ms\n` +
          `  writes unavailable (kill → first write):  ${(firstWrite - killedAt).toFixed(0)} ms\n` +
          `  acknowledged: ${acked.length}; lost: ${lost}; errors seen by callers: ${seen}\n` +
          `  check error events: ${[...checkErrors].map(([code, n]) => `${n} ${code}`).join(', ') || 'none'}`,
      );
    } finally {
      stop = true;
      await Promise.all(writers);
      await manager.close();
    }
  } finally {
    await cluster.close();
  }
}

/** A server's processes: the one started and every descendant (postmaster, backends, …). */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  }
  return tree;
}

/** SIGSTOP / SIGCONT a node's every process: a paused VM, as the outside checks did. */
function signalNode(node: ClusterNode, signal: 'SIGSTOP' | 'SIGCONT'): void {
  const pid = node.server.pid;
  if (pid === undefined) throw new Error(`${node.name} is not running`);
  for (const p of processTree(pid)) {
    try {
      process.kill(p, signal);
    } catch {
      // Gone already.
    }
  }
}

/** A frozen master with callers queued on its pool: how soon they run on the new master. */
async function frozenMaster(refreshDelayMs: number): Promise<void> {
  const cluster = await startPostgresCluster({ replicas: 1 });
  const old = cluster.primary;
  try {
    await createAckedTable(cluster, old.server.dsn());
    const manager = await PoolManager.create({
      hosts: cluster.nodes.map(serverAddress),
      user: 'postgres',
      database: 'postgres',
      refreshDelayMs,
      // The default acquire timeout (5 s); statements sent into the freeze give up after 1 s.
      pool: { maxSize: 8, queryTimeoutMs: 1_000 },
    });
    await manager.ready(1, 1, 15_000);
    const db = new Database(new HaPool(manager));
    const errors = new Map<string, number>();
    let acked = 0;
    let frozenAt = Number.POSITIVE_INFINITY;
    let promotedAt = Number.POSITIVE_INFINITY;
    let firstWrite = Number.POSITIVE_INFINITY;
    let longest = 0;
    let stop = false;
    const writer = async (id: number) => {
      for (let seq = 0; !stop; seq++) {
        const started = performance.now();
        try {
          await db.execute('INSERT INTO acked (writer, seq) VALUES ($1, $2)', [id, seq]);
          const now = performance.now();
          if (now > promotedAt && now < firstWrite) firstWrite = now;
          if (now > frozenAt) longest = Math.max(longest, now - started);
          acked++;
        } catch (error) {
          const e = error as Error & { code?: string };
          const name = `${e.constructor.name} ${e.code ?? ''}`.trim();
          errors.set(name, (errors.get(name) ?? 0) + 1);
          await sleep(10);
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, i) => writer(i));
    try {
      await sleep(1_000);
      frozenAt = performance.now();
      signalNode(old, 'SIGSTOP');
      // pg_promote straight on the replica: cluster.promote() would re-point the frozen
      // old primary too (ALTER SYSTEM on it), and wait for it.
      const chosen = await cluster.mostAdvancedReplica();
      const promoter = new pg.Client({ connectionString: chosen.server.dsn() });
      await promoter.connect();
      await promoter.query('SELECT pg_promote(true, 60)');
      await promoter.end();
      promotedAt = performance.now();
      const deadline = promotedAt + 15_000;
      while (firstWrite === Number.POSITIVE_INFINITY && performance.now() < deadline) {
        await sleep(10);
      }
      await sleep(1_500);
    } finally {
      stop = true;
      signalNode(old, 'SIGCONT');
      await Promise.all(writers);
      await manager.close();
    }
    const seen = [...errors].map(([name, n]) => `${n} ${name}`).join(', ') || 'none';
    console.log(
      `\nFrozen master, refreshDelay ${refreshDelayMs} ms (16 writers, pools of 8, queryTimeout 1 s)\n` +
        `  freeze → promotion done:                  ${(promotedAt - frozenAt).toFixed(0)} ms\n` +
        `  promotion → first acknowledged write:     ${(firstWrite - promotedAt).toFixed(0)} ms\n` +
        `  freeze → first write on the new master:   ${(firstWrite - frozenAt).toFixed(0)} ms\n` +
        `  longest successful call after the freeze: ${longest.toFixed(0)} ms\n` +
        `  acknowledged: ${acked}; errors seen by callers: ${seen}`,
    );
  } finally {
    await cluster.close();
  }
}

const parts = (process.env.BENCH_PARTS ?? 'throughput,failover,frozen').split(',');
if (parts.includes('throughput')) await throughput();
if (parts.includes('failover')) for (const delay of [1_000, 200]) await failover(delay);
if (parts.includes('frozen')) for (const delay of [1_000, 200]) await frozenMaster(delay);
