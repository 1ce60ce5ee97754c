import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const query = async (dsn: string, text: string) => {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
};

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('startPostgres', () => {
  let server: TestPostgres;
  let startedIn = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    server = await startPostgres();
    startedIn = performance.now() - t0;
    console.log(`startPostgres: ${startedIn.toFixed(0)} ms`);
  });
  afterAll(() => server?.stop());

  it('is a real PostgreSQL server on a free port with trust auth', async () => {
    expect(server.dsn).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);
    const [row] = await query(server.dsn, 'SELECT version() AS v, current_user AS u');
    expect(row.v).toMatch(/^PostgreSQL \d+/);
    expect(row.u).toBe('postgres');
    await query(server.dsn, 'CREATE TABLE t (id int primary key)');
    await query(server.dsn, 'INSERT INTO t VALUES (1), (2)');
    expect(await query(server.dsn, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 2 }]);
  });

  it.runIf(process.getuid?.() === 0)('runs as an unprivileged user when started by root', () => {
    const owner = statSync(server.node.dataDir).uid;
    expect(owner).not.toBe(0);
    const user = execFileSync('ps', ['-o', 'uid=', '-p', String(server.node.pid)], {
      encoding: 'utf8',
    }).trim();
    expect(Number(user)).toBe(owner);
  });

  it('two servers run side by side on different ports', async () => {
    const other = await startPostgres();
    try {
      expect(other.port).not.toBe(server.port);
      expect(await query(other.dsn, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await other.stop();
    }
    expect(await portOpen(other.port)).toBe(false);
    expect(existsSync(other.node.dataDir)).toBe(false);
  });

  it('survives a kill and restarts on the same data', async () => {
    const other = await startPostgres();
    try {
      await query(other.dsn, 'CREATE TABLE kept (v text)');
      await query(other.dsn, "INSERT INTO kept VALUES ('x')");
      await other.node.kill();
      expect(await portOpen(other.port)).toBe(false);
      await other.node.start();
      expect(await query(other.dsn, 'SELECT v FROM kept')).toEqual([{ v: 'x' }]);
    } finally {
      await other.stop();
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'removes everything when the test process gets %s',
    async (signal) => {
      const { spawn } = await import('node:child_process');
      const fixture = fileURLToPath(new URL('./fixtures/interrupted-server.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve) =>
        child.stdout.once('data', (d: Buffer) => resolve(d.toString())),
      );
      const { port, dataDir } = JSON.parse(line) as { port: number; dataDir: string };
      expect(await portOpen(port)).toBe(true);
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
      child.kill(signal);
      expect(await exited).toBe(signal);
      expect(existsSync(dataDir)).toBe(false);
      expect(await portOpen(port)).toBe(false);
    },
  );

  it('removes everything at process exit even without stop()', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/abandoned-server.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    const { port, dataDir } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      port: number;
      dataDir: string;
    };
    expect(existsSync(dataDir)).toBe(false);
    expect(await portOpen(port)).toBe(false);
  });

  it('a plain script can await stop() and kill() to the end', () => {
    const fixture = fileURLToPath(new URL('./fixtures/stop-in-script.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    expect(out.trim()).toBe('stopped');
  });
});
