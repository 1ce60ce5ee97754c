// Stopping a real process (issue 13.6): the API of fixtures/stop-app.ts over a real
// PostgreSQL, run with `node`, stopped with SIGTERM while clients misbehave.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/stop-app.ts', import.meta.url));

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(() => pg?.stop());

interface RunningApp {
  readonly child: ChildProcess;
  readonly url: URL;
  output(): string;
  /** Resolves once the output contains `text`. */
  waitFor(text: string): Promise<void>;
  /** The exit code and the milliseconds from `sigterm()` to the exit. */
  readonly exited: Promise<{ code: number | null; ms: number }>;
  sigterm(): void;
}

/** Starts the fixture as a child process, settings from the environment; resolves once it listens. */
async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env: {
      ...process.env,
      LIBRETTO_LOG_LEVEL: 'debug',
      LIBRETTO_API__ADDRESS: '127.0.0.1',
      LIBRETTO_API__PORT: '0',
      LIBRETTO_POSTGRES__DSN: pg.dsn,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of waiting) if (output.includes(w.text)) w.resolve();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let signalledAt = 0;
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, ms: performance.now() - signalledAt });
    });
  });
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (output.includes(text)) return resolve();
      waiting.push({ text, resolve });
      void exited.then(() => reject(new Error(`exited before "${text}":\n${output}`)));
    });
  await waitFor('"msg":"listening"');
  const url = /"url":"([^"]+)","msg":"listening"/.exec(output)?.[1] as string;
  return {
    child,
    url: new URL(url),
    output: () => output,
    waitFor,
    exited,
    sigterm: () => {
      signalledAt = performance.now();
      process.kill(child.pid as number, 'SIGTERM');
    },
  };
}

/** Lines of the app's JSON log with this message. */
function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

type Outcome =
  | { kind: 'answer'; status: number; connection: string | undefined }
  | { kind: 'refused' }
  | { kind: 'reset'; message: string }
  | { kind: 'other'; message: string };

/** One GET through `agent`; a failure is classified, never thrown. */
function get(agent: http.Agent, url: URL, path: string, onSent?: () => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: url.hostname, port: url.port, path, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          kind: 'answer',
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
        }),
      );
      res.on('error', (error) => resolve({ kind: 'reset', message: error.message }));
    });
    if (onSent !== undefined) req.on('finish', onSent);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve({ kind: 'refused' });
      else if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        resolve({ kind: 'reset', message: `${error.code} ${error.message}` });
      else resolve({ kind: 'other', message: `${error.code} ${error.message}` });
    });
  });
}

describe('stopping the process never hangs on a client (issue 13.6)', () => {
  it('an upload stalled mid-body during SIGTERM: exit 0 within the shutdown bound, the pool closed', async () => {
    const app = await startApp();
    const stalled = net.connect(Number(app.url.port), app.url.hostname);
    const stalledClosed = new Promise<string>((resolve) => {
      let received = '';
      stalled.on('data', (chunk) => {
        received += chunk.toString();
      });
      stalled.on('error', () => undefined);
      stalled.on('close', () => resolve(received));
    });
    // Headers and the start of a body that never comes.
    await new Promise<void>((resolve) =>
      stalled.write(
        'POST /uploads HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data":"',
        () => resolve(),
      ),
    );
    // The server has the request once it answers another one on a new connection.
    expect((await fetch(new URL('/health', app.url))).status).toBe(200);

    app.sigterm();
    const { code, ms } = await app.exited;
    const output = app.output();
    expect(code).toBe(0);
    // The default bound (api.shutdown_timeout, 5 s) — not the application's 30 s.
    expect(ms).toBeLessThan(10_000);
    expect(await stalledClosed).toBe('');
    expect(
      logLines(
        output,
        'requests still in flight at the shutdown timeout: closing their connections',
      ),
    ).toMatchObject([{ service: 'HttpService', connections: 1, shutdownTimeout: 5 }]);
    // Every service stopped, newest first, and the container (the pool) closed without failure.
    expect(logLines(output, 'service stopped').map((l) => l.service)).toEqual([
      'HttpService',
      'PostgresService',
      'ConfigService',
    ]);
    expect(logLines(output, 'application stopped')).toHaveLength(1);
  }, 60_000);

  it('keep-alive clients are answered with Connection: close or refused, never reset; idle connections are closed', async () => {
    const app = await startApp({ LIBRETTO_POSTGRES__MAX_SIZE: '25' });
    const agents = Array.from(
      { length: 4 },
      () => new http.Agent({ keepAlive: true, maxSockets: 5 }),
    );
    const loops = agents.flatMap((agent) => Array.from({ length: 5 }, () => agent));

    // A keep-alive connection left idle: the stop closes it rather than waiting 72 s for it.
    const idle = net.connect(Number(app.url.port), app.url.hostname);
    const idleAnswered = new Promise<void>((resolve) => idle.once('data', () => resolve()));
    const idleClosed = new Promise<void>((resolve) => idle.on('close', () => resolve()));
    idle.on('error', () => undefined);
    idle.write('GET /health HTTP/1.1\r\nHost: app\r\n\r\n');
    await idleAnswered;

    // Before the stop: 200 quick requests over the keep-alive agents.
    const before: Outcome[] = [];
    await Promise.all(
      loops.map(async (agent) => {
        while (before.length < 200) before.push(await get(agent, app.url, '/slow?ms=0'));
      }),
    );
    expect(before.filter((o) => o.kind !== 'answer')).toEqual([]);

    // Then each loop sends a 1 s request; SIGTERM once all of them are on the wire.
    let sent = 0;
    let allSent!: () => void;
    const allOnTheWire = new Promise<void>((resolve) => {
      allSent = resolve;
    });
    const inFlight = loops.map((agent) =>
      get(agent, app.url, '/slow?ms=1000', () => {
        if (++sent === loops.length) allSent();
      }),
    );
    await allOnTheWire;
    await new Promise((resolve) => setTimeout(resolve, 150));
    app.sigterm();
    await app.waitFor('"msg":"application stopping"');

    // Each client sends again once its answer came: on the same agent, after stop began.
    const after = await Promise.all(
      inFlight.map(async (answer, i) => [
        await answer,
        await get(loops[i] as http.Agent, app.url, '/slow?ms=0'),
      ]),
    );
    await idleClosed;
    const { code } = await app.exited;
    for (const agent of agents) agent.destroy();

    const outcomes = [...before, ...after.flat()];
    expect(outcomes.length).toBeGreaterThanOrEqual(240);
    expect(outcomes.filter((o) => o.kind === 'reset' || o.kind === 'other')).toEqual([]);
    // Requests in flight at the stop were answered, telling the client to close.
    expect(after.map(([answer]) => answer)).toEqual(
      loops.map(() => ({ kind: 'answer', status: 200, connection: 'close' })),
    );
    // Their next request needed a new connection, which the stopped server refused.
    expect(after.map(([, next]) => next)).toEqual(loops.map(() => ({ kind: 'refused' })));
    expect(code).toBe(0);
    // Everything drained by itself: the bound was not needed.
    expect(app.output()).not.toContain('requests still in flight at the shutdown timeout');
  }, 60_000);
});
