// Start-up: how long from launching a process to its first answered HTTP request, and how
// much memory everything it runs holds then (RSS summed over the process tree: node, the
// embedded PostgreSQL server and its backends, the watchdog). Each contender is launched N
// times (`STARTUP_RUNS`, 5), the contenders taking turns; medians are printed, with ratios
// to a bare Fastify app.
//
//   npm run bench:startup            # the machine's PostgreSQL at 127.0.0.1:5432 for the server row
//
// The example runs as `npm start` runs it (examples/run.mjs), warm (its data directory
// exists), cold (a fresh data directory each run: initdb) and on a server; and once more
// through `node --import tsx`, to show what the TypeScript loader costs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from 'libretto/testing';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.env.STARTUP_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'libretto-bench-startup-'));
chmodSync(work, 0o755); // as root the embedded server runs as `nobody`
const SERVER_DSN = process.env.STARTUP_DSN ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const BENCH_DB = 'libretto_bench_startup';

interface Contender {
  readonly name: string;
  readonly command: readonly string[];
  readonly env?: (run: number) => Record<string, string>;
  /** Once before the timed runs (a warm data directory). */
  readonly prepare?: () => Promise<void>;
}

const example = ['examples/http-api/main.ts', '--config', 'examples/http-api/config.yaml'];
const warmDir = join(work, 'warm');

/** RSS in bytes of `pid` and every process below it (Linux /proc). */
function treeRss(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Ended meanwhile.
    }
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // Ended meanwhile.
    }
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/** Launches once: ms to the first 200 from /health, the tree's RSS then; stops it. */
async function launch(c: Contender, run: number): Promise<{ ms: number; rss: number }> {
  const port = await freePort();
  const [file, ...args] = c.command;
  const started = performance.now();
  const child: ChildProcess = spawn(file as string, args, {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      LIBRETTO_API__PORT: String(port),
      LIBRETTO_LOG_LEVEL: 'warn',
      ...c.env?.(run),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ms = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${c.name} exited:\n${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) {
        ms = performance.now() - started;
        break;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(5);
  }
  const rss = treeRss(child.pid as number);
  child.kill('SIGTERM');
  await exited;
  return { ms, rss };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const contenders: Contender[] = [
  { name: 'bare Fastify (JS)', command: ['node', 'bench/startup/fastify-app.mjs'] },
  { name: 'NestJS hello (JS)', command: ['node', 'bench/startup/nest-app.mjs'] },
  {
    name: 'example, embedded, warm',
    command: ['node', 'examples/run.mjs', ...example],
    env: () => ({ LIBRETTO_POSTGRES__DATA_DIR: warmDir }),
    prepare: async () => {
      await launch(contenders[2] as Contender, 0); // creates the data directory
    },
  },
  {
    name: 'example, embedded, cold (initdb)',
    command: ['node', 'examples/run.mjs', ...example],
    env: (run) => ({ LIBRETTO_POSTGRES__DATA_DIR: join(work, `cold-${run}`) }),
  },
  {
    name: 'example, embedded :memory:',
    command: ['node', 'examples/run.mjs', ...example],
    env: () => ({ LIBRETTO_POSTGRES__DATA_DIR: ':memory:' }),
  },
  {
    name: 'example, server 127.0.0.1:5432',
    command: ['node', 'examples/run.mjs', ...example],
    env: () => ({ LIBRETTO_POSTGRES__DSN: SERVER_DSN.replace(/\/[^/]*$/, `/${BENCH_DB}`) }),
    prepare: async () => {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: SERVER_DSN });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${BENCH_DB}`);
      await client.query(`CREATE DATABASE ${BENCH_DB}`);
      await client.end();
    },
  },
  {
    name: 'example, embedded, warm, via tsx',
    command: ['node', '--import', 'tsx', ...example],
    env: () => ({ LIBRETTO_POSTGRES__DATA_DIR: warmDir }),
  },
];

const version = execFileSync('node', ['-v'], { encoding: 'utf8' }).trim();
console.log(
  `startup: ${runs} runs each, Node.js ${version}, load average before ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const rows: { name: string; ms: number; rss: number }[] = [];
try {
  const ready: Contender[] = [];
  for (const c of contenders) {
    try {
      await c.prepare?.();
      ready.push(c);
    } catch (error) {
      console.log(`${c.name}: skipped (${(error as Error).message.split('\n')[0]})`);
    }
  }
  // Round-robin, so that a change of the machine's load meanwhile touches every contender.
  const ms = new Map<Contender, number[]>(ready.map((c) => [c, []]));
  const rss = new Map<Contender, number[]>(ready.map((c) => [c, []]));
  for (let run = 1; run <= runs; run++) {
    for (const c of ready) {
      const r = await launch(c, run);
      ms.get(c)?.push(r.ms);
      rss.get(c)?.push(r.rss);
    }
  }
  for (const c of ready) {
    const times = ms.get(c) ?? [];
    rows.push({ name: c.name, ms: median(times), rss: median(rss.get(c) ?? []) });
    console.log(`  ${c.name}: ${times.map((m) => Math.round(m)).join(', ')} ms`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const base = rows[0] as { ms: number; rss: number };
console.log(
  `\n${'contender'.padEnd(36)} ${'first answer'.padStart(12)} ${'× Fastify'.padStart(10)} ${'RSS (tree)'.padStart(11)} ${'× Fastify'.padStart(10)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(36)} ${`${Math.round(r.ms)} ms`.padStart(12)} ${`${(r.ms / base.ms).toFixed(1)}×`.padStart(10)} ${`${Math.round(r.rss / 2 ** 20)} MB`.padStart(11)} ${`${(r.rss / base.rss).toFixed(1)}×`.padStart(10)}`,
  );
}
console.log(
  `load average after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
