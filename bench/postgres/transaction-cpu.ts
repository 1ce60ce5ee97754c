// CPU per call of transactional() around one statement against BEGIN / named statement /
// COMMIT written by hand on a pg client: the two alternate in short rounds, so a machine
// shared with other work hits both alike; the ratio is what counts, not the figures.
//   npx tsx bench/postgres/transaction-cpu.ts      (sources)   BENCH_SECONDS (2), BENCH_ROUNDS (7)
//   add --cpu-prof to see where the time goes.
import { Database, PgPool, transactional } from 'libretto/postgres';
import { startPostgres } from 'libretto/testing';
import pg from 'pg';
import { drive, type Result } from '../rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ONLY = process.env.BENCH_ONLY; // 'libretto' or 'pg': one side only (for --cpu-prof)
const QUERY = 'SELECT id, name, email FROM bench_user WHERE id = $1';
const ROWS = 10_000;
let nextId = 1;
const id = () => {
  nextId = (nextId * 7919 + 1) % ROWS;
  return nextId + 1;
};

const server = await startPostgres();
try {
  const setup = new pg.Client({ connectionString: server.dsn });
  await setup.connect();
  await setup.query(`CREATE TABLE bench_user (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
    INSERT INTO bench_user SELECT g, 'user ' || g, 'user' || g || '@example.com' FROM generate_series(1, ${ROWS}) g;
    ANALYZE bench_user;`);
  await setup.end();

  const pool = await PgPool.create({ connectionString: server.dsn, maxSize: 8 });
  const db = new Database(pool);
  const bare = new pg.Pool({ connectionString: server.dsn, max: 8 });
  const contenders: [string, () => Promise<unknown>][] = [
    [
      'libretto transactional()',
      () => transactional(() => db.fetchOne(QUERY, [id()]), { database: db }),
    ],
    [
      'pg BEGIN/named/COMMIT by hand',
      async () => {
        const client = await bare.connect();
        try {
          await client.query('BEGIN');
          await client.query({ name: 'by_id', text: QUERY, values: [id()] });
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
    ],
  ];
  const chosen = contenders.filter(([name]) => ONLY === undefined || name.startsWith(ONLY));
  const results = chosen.map(() => [] as Result[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < chosen.length; k++) {
      const i = (k + round) % chosen.length;
      results[i]?.push(await drive((chosen[i] as [string, () => Promise<unknown>])[1], 8, SECONDS));
    }
  }
  const median = (rs: Result[]) =>
    [...rs].sort((a, b) => a.cpu - b.cpu)[Math.floor(rs.length / 2)] as Result;
  const cpus = results.map(median);
  for (const [i, [name]] of chosen.entries()) {
    console.log(
      `${name.padEnd(32)} ${cpus[i]?.cpu.toFixed(1).padStart(7)} CPU µs/call  ${Math.round(cpus[i]?.ops ?? 0)} ops/s`,
    );
  }
  if (cpus.length === 2) {
    console.log(
      `hand-written / transactional CPU: ${((cpus[1] as Result).cpu / (cpus[0] as Result).cpu).toFixed(3)}×`,
    );
  }
  await pool.close();
  await bare.end();
} finally {
  await server.stop();
}
