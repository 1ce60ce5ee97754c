// CPU per call of transactional() around one statement, against BEGIN / named statement /
// COMMIT written by hand — on a PgPool connection and on a bare pg client. The contenders
// take turns in short blocks (200 calls by 4 callers), many times over, so that a machine
// shared with other work slows them alike; the ratio is what counts, not the figures.
//   npm run build && TSX_TSCONFIG_PATH=bench/tsconfig.dist.json npx tsx bench/postgres/transaction-cpu.ts
//   BENCH_ROUNDS (60), BENCH_ONLY=transactional|driver|pg (one contender, e.g. for --cpu-prof)
import { Database, PgPool, transactional } from 'libretto/postgres';
import { startPostgres } from 'libretto/testing';
import pg from 'pg';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const ONLY = process.env.BENCH_ONLY;
const CALLERS = 4;
const BLOCK = 200;
const WARM_UP_ROUNDS = 5;
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

  const pool = await PgPool.create({ connectionString: server.dsn, maxSize: CALLERS });
  const db = new Database(pool);
  const bare = new pg.Pool({ connectionString: server.dsn, max: CALLERS });
  const all: [string, () => Promise<unknown>][] = [
    ['transactional()', () => transactional(() => db.fetchOne(QUERY, [id()]), { database: db })],
    [
      'driver: PgPool by hand',
      async () => {
        const c = await pool.acquire();
        await c.query('BEGIN', []);
        await c.query(QUERY, [id()]);
        await c.query('COMMIT', []);
        c.release();
      },
    ],
    [
      'pg BEGIN/named/COMMIT by hand',
      async () => {
        const client = await bare.connect();
        try {
          await client.query('BEGIN');
          await client.query({ name: 'by_id', text: QUERY, values: [id()] });
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      },
    ],
  ];
  const ops = all.filter(([name]) => ONLY === undefined || name.startsWith(ONLY));
  // The async context is in use in an application: measure every contender with it on.
  await transactional(() => db.fetchOne(QUERY, [1]), { database: db });
  const cpu = ops.map(() => 0);
  const calls = ops.map(() => 0);
  for (let round = 0; round < ROUNDS + WARM_UP_ROUNDS; round++) {
    for (let k = 0; k < ops.length; k++) {
      const i = (k + round) % ops.length;
      const op = (ops[i] as [string, () => Promise<unknown>])[1];
      const before = process.cpuUsage();
      const loop = async () => {
        for (let j = 0; j < BLOCK / CALLERS; j++) await op();
      };
      await Promise.all(Array.from({ length: CALLERS }, loop));
      const used = process.cpuUsage(before);
      if (round < WARM_UP_ROUNDS) continue;
      cpu[i] = (cpu[i] ?? 0) + used.user + used.system;
      calls[i] = (calls[i] ?? 0) + BLOCK;
    }
  }
  const perCall = ops.map((_, i) => (cpu[i] ?? 0) / (calls[i] ?? 1));
  for (const [i, [name]] of ops.entries()) {
    console.log(`${name.padEnd(32)} ${perCall[i]?.toFixed(1).padStart(7)} CPU µs/call`);
  }
  if (ops.length === all.length) {
    const ratio = (perCall[2] ?? 0) / (perCall[0] ?? 1);
    console.log(`pg by hand / transactional(): ${ratio.toFixed(3)}× (goal ≥ 0.95)`);
  }
  await pool.close();
  await bare.end();
} finally {
  await server.stop();
}
