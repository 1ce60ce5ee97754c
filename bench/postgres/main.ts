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
import { Database, PgPool, transactional } from 'libretto/postgres';
import { startPostgres } from 'libretto/testing';
import pg from 'pg';
import postgres from 'postgres';
import {
  drive,
  type Result,
  type RoundContender,
  resultHeader,
  resultLine,
  rounds,
} from '../rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = 10_000;
const QUERY = 'SELECT id, name, email FROM bench_user WHERE id = $1';

/** Callers share one walk over the ids, so every contender reads the same rows. */
let nextId = 1;
function byId(fetch: (id: number) => Promise<unknown>): () => Promise<unknown> {
  return () => {
    nextId = (nextId * 7919 + 1) % ROWS;
    return fetch(nextId + 1);
  };
}

function pgPool(
  name: string,
  max: number,
  callers: number,
  fetch: (pool: pg.Pool, id: number) => Promise<unknown>,
): RoundContender {
  return {
    name,
    open: async () => {
      const pool = new pg.Pool({ connectionString: dsn(), max });
      return {
        run: () =>
          drive(
            byId((id) => fetch(pool, id)),
            callers,
            SECONDS,
          ),
        close: () => pool.end(),
      };
    },
  };
}

function libretto(
  name: string,
  max: number,
  callers: number,
  fetch: (db: Database, id: number) => Promise<unknown>,
): RoundContender {
  return {
    name,
    open: async () => {
      const driver = await PgPool.create({ connectionString: dsn(), maxSize: max });
      const db = new Database(driver);
      return {
        run: () =>
          drive(
            byId((id) => fetch(db, id)),
            callers,
            SECONDS,
          ),
        close: () => driver.close(),
      };
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
    const rows = await rounds(
      [
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
                drive(
                  byId((id) => pjs`SELECT id, name, email FROM bench_user WHERE id = ${id}`),
                  callers,
                  SECONDS,
                ),
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
      ],
      ROUNDS,
    );
    const base = rows[0]?.[1].ops ?? 1;
    console.log(
      `\nfetchOne by id — ${callers} callers, pool of ${poolSize}, ${ROUNDS} rounds of ${SECONDS} s, median; Node ${process.version}`,
    );
    console.log(resultHeader('libretto vs it'));
    for (const [name, r] of rows) {
      const ratio = name.startsWith('libretto') ? '—' : `${(base / r.ops).toFixed(2)}×`;
      console.log(resultLine(name, r, ratio));
    }
  }

  // transactional() around one statement against BEGIN; statement; COMMIT by hand.
  {
    const rows = await rounds(
      [
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
      ],
      ROUNDS,
    );
    const [lib, manual] = rows.map(([, r]) => r) as [Result, Result];
    console.log(
      `\nOne statement in a transaction — 8 callers, pool of 8, ${ROUNDS} rounds of ${SECONDS} s, median`,
    );
    console.log(resultLine('libretto transactional()', lib, '—'));
    console.log(
      resultLine('pg BEGIN/named/COMMIT by hand', manual, `${(lib.ops / manual.ops).toFixed(2)}×`),
    );
  }
  console.log(
    `\nServer: PostgreSQL from libretto/testing; ${pgbenchVersion || 'pgbench not found'}`,
  );
} finally {
  await server.stop();
}
