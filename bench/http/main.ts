// HTTP benchmark: GET /users/:id?detailed=true (path and query validation, two
// request-scoped dependencies, the envelope) served by Libretto, Fastify (bare with zod, and with JSON Schema) and NestJS,
// each in its own process, loaded by autocannon from this one. The contenders take turns,
// in a rotating order, for several rounds (machine drift hits them alike); each figure is
// the median round.
//   npm run bench:http        BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64),
//                             BENCH_PIPELINING (1), BENCH_ONLY=libretto,fastify
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { USER_ID } from './shared.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PIPELINING = Number(process.env.BENCH_PIPELINING ?? 1);
const PATH = `/users/${USER_ID}?detailed=true`;

interface Contender {
  readonly name: string;
  readonly file: string;
  readonly env?: Record<string, string>;
  readonly note?: string;
}

const all: Contender[] = [
  { name: 'libretto', file: 'libretto.ts' },
  { name: 'fastify (bare, zod by hand)', file: 'fastify.ts' },
  { name: 'fastify (JSON Schema: ajv + fjs)', file: 'fastify-schema.ts' },
  { name: 'nestjs (express, request scope)', file: 'nest.ts', env: { NEST_SCOPE: 'request' } },
  {
    name: 'nestjs (express, singletons)',
    file: 'nest.ts',
    env: { NEST_SCOPE: 'singleton' },
    note: 'dependencies built in the handler',
  },
];
const only = process.env.BENCH_ONLY?.split(',');
const contenders = all.filter((c) => only === undefined || only.some((w) => c.name.startsWith(w)));

interface Server {
  readonly contender: Contender;
  readonly child: ChildProcess;
  readonly url: string;
  readonly rounds: { rps: number; p50: number; p99: number; cpu: number }[];
}

async function start(c: Contender): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(c.file, import.meta.url))],
    {
      env: {
        ...process.env,
        // Production settings for every contender: no response validation, no access log.
        NODE_ENV: 'production',
        LIBRETTO_LOG_LEVEL: 'warn',
        // Libretto from dist/ (as users run it), not its sources through tsx.
        TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.dist.json', import.meta.url)),
        ...c.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${c.name} exited with ${code} before listening`);
    }),
  ])) as [string];
  lines.close();
  const { port } = JSON.parse(line) as { port: number };
  return { contender: c, child, url: `http://127.0.0.1:${port}`, rounds: [] };
}

async function load(url: string, seconds: number): Promise<autocannon.Result> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    duration: seconds,
    headers: { 'x-caller': 'bench' },
  });
  if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) {
    throw new Error(`${url}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  }
  return r;
}

/** Same answer everywhere, and a 400 for a malformed id: validation is really on. */
async function check(s: Server): Promise<void> {
  const expected = {
    success: true,
    data: {
      id: USER_ID,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      createdAt: '2026-01-01T00:00:00.000Z',
    },
    error: null,
  };
  const body = await (await fetch(`${s.url}${PATH}`)).json();
  if (JSON.stringify(body) !== JSON.stringify(expected)) {
    throw new Error(`${s.contender.name} answered ${JSON.stringify(body)}`);
  }
  const bad = await fetch(`${s.url}/users/not-a-uuid?detailed=true`);
  if (bad.status !== 400) {
    throw new Error(`${s.contender.name} accepted a malformed id (${bad.status})`);
  }
}

/**
 * CPU time (user + system) the server process has used, in µs, from /proc (Linux; NaN
 * elsewhere). Per request it is the server's own cost, whatever the load generator —
 * which on a small machine shares the cores and caps req/s — manages to send.
 */
function cpuMicros(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, 100 per second
    return ticks * 10_000;
  } catch {
    return Number.NaN;
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const servers: Server[] = [];
try {
  for (const c of contenders) servers.push(await start(c));
  for (const s of servers) {
    await check(s);
    await load(`${s.url}${PATH}`, Math.min(3, SECONDS)); // warm-up: JIT
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the next contender, so none always goes first.
    const order = servers.map((_, i) => servers[(i + round) % servers.length] as Server);
    for (const s of order) {
      const before = cpuMicros(s.child);
      const r = await load(`${s.url}${PATH}`, SECONDS);
      const cpu = (cpuMicros(s.child) - before) / r.requests.total;
      s.rounds.push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpu });
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => once(s.child, 'exit')));
}

const rows = servers.map((s) => ({
  contender: s.contender,
  rps: median(s.rounds.map((r) => r.rps)),
  min: Math.min(...s.rounds.map((r) => r.rps)),
  max: Math.max(...s.rounds.map((r) => r.rps)),
  p50: median(s.rounds.map((r) => r.p50)),
  p99: median(s.rounds.map((r) => r.p99)),
  cpu: median(s.rounds.map((r) => r.cpu)),
}));
const base = rows.find((r) => r.contender.name === 'libretto');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `\nGET /users/:id?detailed=true — ${CONNECTIONS} connections, pipelining ${PIPELINING}, ` +
    `${ROUNDS} rounds of ${SECONDS} s, median round; Node ${process.version}`,
);
console.log(
  `${'contender'.padEnd(33)} ${'req/s'.padStart(8)} ${'(min–max)'.padStart(17)} ${'p50 ms'.padStart(6)} ${'p99 ms'.padStart(6)}  ${'libretto'.padStart(8)}  ${'CPU µs/req'.padStart(10)}`,
);
for (const r of rows) {
  const ratio =
    base === undefined || r === base
      ? '—'
      : base.rps >= r.rps
        ? `${(base.rps / r.rps).toFixed(2)}×`
        : `${((100 * base.rps) / r.rps).toFixed(0)}%`;
  console.log(
    `${r.contender.name.padEnd(33)} ${fmt(r.rps).padStart(8)} ${`(${fmt(r.min)}–${fmt(r.max)})`.padStart(17)} ${String(r.p50).padStart(6)} ${String(r.p99).padStart(6)}  ${ratio.padStart(8)}  ${r.cpu.toFixed(1).padStart(10)}${r.contender.note ? `  (${r.contender.note})` : ''}`,
  );
}
console.log(
  '\n"libretto": Libretto\'s req/s against the contender\'s — a multiple when faster, a\n' +
    'percentage when slower. CPU µs/req: server process time per request (user + system).',
);
