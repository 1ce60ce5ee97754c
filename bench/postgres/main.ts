// PostgreSQL benchmark: fetchOne('SELECT … WHERE id = $1') by N concurrent callers over a
// pool, Libretto side by side with bare pg (pool.query, and hand-named statements),
// postgres.js, and pgbench -M prepared / -M extended (the ceiling), on one throwaway server
// in one run: every pool opened once, then rotating rounds (median reported); then
// transactional() around one statement against a bare BEGIN/COMMIT.
//   npm run bench:postgres       BENCH_SECONDS (4 per contender and round), BENCH_ROUNDS (5)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, PgDriver, transactional } from 'libretto/postgres';
import { startPostgres } from 'libretto/testing';
import pg from 'pg';
import postgres from 'postgres';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = 10_000;
const QUERY = 'SELECT id, name, email FROM bench_user WHERE id = $1';

type Fetch = (id: number) => Promise<unknown>;

interface Result {
  readonly ops: number;
  readonly p99: number;
  /** CPU time of this Node.js process per call (µs): steadier than throughput on a shared box. */
  readonly cpu: number;
}

/** `callers` loops calling `fetch` for SECONDS; ops/s and p99 latency (ms). */
async function drive(fetch: Fetch, callers: number): Promise<Result> {
  const latencies: number[] = [];
  const warmUntil = performance.now() + 500;
  const end = warmUntil + SECONDS * 1000;
  let id = 1;
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const loop = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      id = (id * 7919 + 1) % ROWS;
      await fetch(id + 1);
      calls++;
      if (t0 >= warmUntil) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  const used = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length / SECONDS,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    cpu: (used.user + used.system) / calls,
  };
}

const cpuText = (r: Result): string => (Number.isNaN(r.cpu) ? '—' : r.cpu.toFixed(1));

interface Contender {
  readonly name: string;
  /** Opens the contender's pool once; `run` measures it, `close` ends it. */
  open(): Promise<{ run: () => Promise<Result>; close: () => Promise<void> }>;
}

/**
 * Opens every contender, warms each, then measures them ROUNDS times, each round starting
 * with the next one (machine drift hits all alike); per contender the median round.
 */
async function rounds(contenders: readonly Contender[]): Promise<[string, Result][]> {
  const opened = [];
  for (const c of contenders) opened.push(await c.open());
  try {
    const results = contenders.map(() => [] as Result[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + round) % contenders.length;
        results[i]?.push(await (opened[i] as { run: () => Promise<Result> }).run());
      }
    }
    return contenders.map((c, i) => {
      const sorted = [...(results[i] ?? [])].sort((a, b) => a.ops - b.ops);
      return [c.name, sorted[Math.floor(sorted.length / 2)] as Result];
    });
  } finally {
    for (const o of opened) await o.close();
  }
}

function pgPool(
  name: string,
  max: number,
  callers: number,
  fetch: (pool: pg.Pool, id: number) => Promise<unknown>,
): Contender {
  return {
    name,
    open: async () => {
      const pool = new pg.Pool({ connectionString: dsn(), max });
      return { run: () => drive((id) => fetch(pool, id), callers), close: () => pool.end() };
    },
  };
}

function libretto(
  name: string,
  max: number,
  callers: number,
  fetch: (db: Database, id: number) => Promise<unknown>,
): Contender {
  return {
    name,
    open: async () => {
      const driver = await PgDriver.create({ connectionString: dsn(), maxSize: max });
      const db = new Database(driver);
      return { run: () => drive((id) => fetch(db, id), callers), close: () => driver.close() };
    },
  };
}

/** pgbench on the same server: tps and p99 (from its per-transaction log). */
function pgbench(dsn: string, mode: 'prepared' | 'extended', clients: number): Result {
  const dir = mkdtempSync(join(tmpdir(), 'libretto-pgbench-'));
  try {
    const script = join(dir, 'select.sql');
    writeFileSync(
      script,
      `\\set id random(1, ${ROWS})\nSELECT id, name, email FROM bench_user WHERE id = :id;\n`,
    );
    const out = execFileSync(
      'pgbench',
      [
        '-n',
        '-M',
        mode,
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(SECONDS),
        '-f',
        script,
        '-l',
        '--log-prefix',
        join(dir, 'log'),
        dsn,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
    const latencies: number[] = [];
    for (const f of readdirSync(dir).filter((n) => n.startsWith('log'))) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (Number.isFinite(micros) && line !== '') latencies.push(micros / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    return { ops: tps, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, cpu: Number.NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const server = await startPostgres();
const dsn = () => server.dsn;
try {
  const setup = new pg.Client({ connectionString: server.dsn });
  await setup.connect();
  await setup.query(`CREATE TABLE bench_user (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
    INSERT INTO bench_user SELECT g, 'user ' || g, 'user' || g || '@example.com' FROM generate_series(1, ${ROWS}) g;
    ANALYZE bench_user;`);
  await setup.end();
  let pgbenchVersion = '';
  try {
    pgbenchVersion = execFileSync('pgbench', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    pgbenchVersion = '';
  }

  for (const [callers, poolSize] of [
    [8, 8],
    [32, 16],
  ] as const) {
    const rows = await rounds([
      libretto('libretto fetchOne', poolSize, callers, (db, id) => db.fetchOne(QUERY, [id])),
      pgPool('pg pool.query', poolSize, callers, (pool, id) => pool.query(QUERY, [id])),
      pgPool('pg pool.query, named statement', poolSize, callers, (pool, id) =>
        pool.query({ name: 'by_id', text: QUERY, values: [id] }),
      ),
      {
        name: 'postgres.js (prepared)',
        open: async () => {
          const pjs = postgres(server.dsn, { max: poolSize, prepare: true });
          return {
            run: () =>
              drive((id) => pjs`SELECT id, name, email FROM bench_user WHERE id = ${id}`, callers),
            close: () => pjs.end(),
          };
        },
      },
      ...(pgbenchVersion === ''
        ? []
        : (['prepared', 'extended'] as const).map((mode) => ({
            name: `pgbench -M ${mode} -c ${poolSize}`,
            open: async () => ({
              run: async () => pgbench(server.dsn, mode, poolSize),
              close: async () => {},
            }),
          }))),
    ]);
    const base = rows[0]?.[1].ops ?? 1;
    console.log(
      `\nfetchOne by id — ${callers} callers, pool of ${poolSize}, ${ROUNDS} rounds of ${SECONDS} s, median; Node ${process.version}`,
    );
    console.log(
      `${'contender'.padEnd(34)} ${'ops/s'.padStart(9)} ${'p99 ms'.padStart(7)} ${'CPU µs/op'.padStart(9)}  libretto vs it`,
    );
    for (const [name, r] of rows) {
      const ratio = name.startsWith('libretto') ? '—' : `${(base / r.ops).toFixed(2)}×`;
      console.log(
        `${name.padEnd(34)} ${Math.round(r.ops).toLocaleString('en-US').padStart(9)} ${r.p99.toFixed(2).padStart(7)} ${cpuText(r).padStart(9)}  ${ratio}`,
      );
    }
  }

  // transactional() around one statement against BEGIN; statement; COMMIT by hand.
  {
    const rows = await rounds([
      libretto('libretto transactional()', 8, 8, (db, id) =>
        transactional(() => db.fetchOne(QUERY, [id]), { database: db }),
      ),
      pgPool('pg BEGIN/named/COMMIT by hand', 8, 8, async (pool, id) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query({ name: 'by_id', text: QUERY, values: [id] });
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      }),
    ]);
    const [lib, manual] = rows.map(([, r]) => r) as [Result, Result];
    console.log(
      `\nOne statement in a transaction — 8 callers, pool of 8, ${ROUNDS} rounds of ${SECONDS} s, median`,
    );
    console.log(
      `${'libretto transactional()'.padEnd(34)} ${Math.round(lib.ops).toLocaleString('en-US').padStart(9)} ${lib.p99.toFixed(2).padStart(7)} ${cpuText(lib).padStart(9)}  —`,
    );
    console.log(
      `${'pg BEGIN/named/COMMIT by hand'.padEnd(34)} ${Math.round(manual.ops).toLocaleString('en-US').padStart(9)} ${manual.p99.toFixed(2).padStart(7)} ${cpuText(manual).padStart(9)}  ${(lib.ops / manual.ops).toFixed(2)}×`,
    );
  }
  console.log(
    `\nServer: PostgreSQL from libretto/testing; ${pgbenchVersion || 'pgbench not found'}`,
  );
} finally {
  await server.stop();
}
