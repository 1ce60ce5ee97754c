// Migrations benchmark: Libretto's Migrator against node-pg-migrate's runner, in one run, on a
// throwaway libretto/testing server. Each applies the same N SQL migrations (a table, an index,
// 50 rows; each in its own transaction, both under their advisory lock), then reverts them all;
// then `status` of N applied migrations (Libretto) against `dryRun` (node-pg-migrate lists
// what it would run: its nearest read-only command). Every round uses a fresh database per
// contender; rotating order; median of the rounds. Wall time and CPU of this process per
// migration (the database's own work is the same for both).
//   npm run bench:migrations     BENCH_MIGRATIONS (200), BENCH_ROUNDS (5)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'libretto/migrations';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

const N = Number(process.env.BENCH_MIGRATIONS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const up = (i: number) =>
  `CREATE TABLE t_${i} (id serial PRIMARY KEY, name text NOT NULL);\n` +
  `CREATE INDEX t_${i}_name ON t_${i} (name);\n` +
  `INSERT INTO t_${i} (name) SELECT 'row ' || g FROM generate_series(1, 50) g;\n`;
const down = (i: number) => `DROP TABLE t_${i};\n`;

/** The same migrations in each tool's SQL format. */
function writeMigrations(): { libretto: string; npm: string } {
  const root = mkdtempSync(join(tmpdir(), 'lb-bench-migrations-'));
  const libretto = join(root, 'libretto');
  const npm = join(root, 'node-pg-migrate');
  mkdirSync(libretto);
  mkdirSync(npm);
  for (let i = 1; i <= N; i++) {
    const id = String(1_700_000_000_000 + i);
    writeFileSync(
      join(libretto, `${id}_table_${i}.sql`),
      `-- libretto:up\n${up(i)}\n-- libretto:down\n${down(i)}`,
    );
    writeFileSync(
      join(npm, `${id}_table_${i}.sql`),
      `-- Up Migration\n${up(i)}\n-- Down Migration\n${down(i)}`,
    );
  }
  return { libretto, npm };
}

interface Timing {
  readonly ms: number;
  readonly cpuUs: number;
}

async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t0, cpuUs: used.user + used.system };
}

let server: TestPostgres;
let databases = 0;

async function freshDatabase(): Promise<string> {
  const name = `bench_${++databases}`;
  const admin = new pg.Client({ connectionString: server.dsn });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.dsn.replace(/\/postgres$/, `/${name}`);
}

type Phase = 'up' | 'status' | 'down';
type Run = Record<Phase, Timing>;

async function libretto(dir: string): Promise<Run> {
  const dsn = await freshDatabase();
  const database = new Database(await PgPool.create({ connectionString: dsn, maxSize: 2 }));
  try {
    const migrator = new Migrator({ database, directory: dir });
    const upTime = await timed(() => migrator.up());
    const status = await timed(() => migrator.status());
    const downTime = await timed(() => migrator.down({ steps: N }));
    return { up: upTime, status, down: downTime };
  } finally {
    await database.close();
  }
}

async function nodePgMigrate(dir: string): Promise<Run> {
  const databaseUrl = await freshDatabase();
  const common = {
    databaseUrl,
    dir,
    migrationsTable: 'pgmigrations',
    singleTransaction: false,
    checkOrder: true,
    log: () => {},
  };
  const upTime = await timed(() => runner({ ...common, direction: 'up', count: Infinity }));
  const status = await timed(() =>
    runner({ ...common, direction: 'up', count: Infinity, dryRun: true }),
  );
  const downTime = await timed(() => runner({ ...common, direction: 'down', count: Infinity }));
  return { up: upTime, status, down: downTime };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

server = await startPostgres();
try {
  const dirs = writeMigrations();
  const contenders: [string, () => Promise<Run>][] = [
    ['libretto Migrator', () => libretto(dirs.libretto)],
    ['node-pg-migrate runner', () => nodePgMigrate(dirs.npm)],
  ];
  const runs = contenders.map(() => [] as Run[]);
  await contenders[0]?.[1](); // warm-up: module loading and the server's caches
  await contenders[1]?.[1]();
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + round) % contenders.length;
      runs[i]?.push(await (contenders[i] as [string, () => Promise<Run>])[1]());
    }
  }
  console.log(
    `\n${N} SQL migrations (table + index + 50 rows each), one transaction each; ${ROUNDS} rounds, median; Node ${process.version}`,
  );
  console.log(
    `${'contender'.padEnd(26)} ${'phase'.padEnd(7)} ${'ms'.padStart(8)} ${'ms/migr.'.padStart(9)} ${'CPU µs/migr.'.padStart(13)}  libretto is`,
  );
  for (const phase of ['up', 'status', 'down'] as const) {
    const ms = runs.map((r) => median(r.map((x) => x[phase].ms)));
    const cpu = runs.map((r) => median(r.map((x) => x[phase].cpuUs)));
    contenders.forEach(([name], i) => {
      const ratio =
        i === 0 ? '—' : `${((ms[i] as number) / (ms[0] as number)).toFixed(2)}× as fast`;
      console.log(
        `${name.padEnd(26)} ${phase.padEnd(7)} ${(ms[i] as number).toFixed(0).padStart(8)} ${((ms[i] as number) / N).toFixed(2).padStart(9)} ${((cpu[i] as number) / N).toFixed(0).padStart(13)}  ${ratio}`,
      );
    });
  }
  rmSync(join(dirs.libretto, '..'), { recursive: true, force: true });
} finally {
  await server.stop();
}
