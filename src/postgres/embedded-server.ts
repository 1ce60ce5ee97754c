import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { DataDirLock } from './data-dir-lock.js';
import { freshDataDir } from './data-dir-template.js';
import { initdbCommand } from './initdb-command.js';
import { binariesMajorVersion, type PostgresBinaries } from './postgres-binaries.js';
import { commandLine, processAlive } from './process-liveness.js';
import { ServerWatchdog } from './server-watchdog.js';
import type { RunAs } from './unprivileged-user.js';

/** The temporary directory of each server's socket (and of a throwaway database). */
const SOCKET_DIR_PREFIX = 'libretto-embedded-';

/** The `data_dir` value of a throwaway database. */
export const MEMORY = ':memory:';

/** How an {@link EmbeddedServer} is started. */
export interface EmbeddedServerOptions {
  /** Where the data lives (created with initdb on first start), or `:memory:`. */
  readonly dataDir: string;
  readonly binaries: PostgresBinaries;
  /** The user the server runs as (root may not run PostgreSQL); undefined: this process's. */
  readonly runAs: RunAs | undefined;
  /** The server's `max_connections`: the pool's size and some room. */
  readonly maxConnections: number;
  readonly logger?: Logger | undefined;
  /** Waiting for the server to accept connections (crash recovery included): 60 s. */
  readonly startTimeoutMs?: number;
  /** Waiting for a fast shutdown before SIGKILL: 10 s. */
  readonly stopTimeoutMs?: number;
}

/**
 * Small-footprint settings: the server serves one app on this machine, through a unix
 * socket only (no TCP port to take or to expose), with durable writes unless throwaway.
 */
function serverSettings(major: number, maxConnections: number, durable: boolean): string[] {
  const settings = [
    'listen_addresses=',
    'unix_socket_permissions=0700',
    `max_connections=${maxConnections}`,
    'shared_buffers=16MB',
    'wal_buffers=1MB',
    'min_wal_size=32MB',
    'max_wal_size=256MB',
    'huge_pages=off',
    'max_logical_replication_workers=0', // no launcher process
    'logging_collector=off',
    'log_min_messages=warning',
  ];
  if (major >= 18) settings.push('io_method=sync'); // no I/O worker processes
  if (!durable) settings.push('fsync=off', 'synchronous_commit=off', 'full_page_writes=off');
  return settings;
}

/**
 * A private PostgreSQL server process for one application, from the platform's binaries:
 * its data in a directory of the project (initdb on first start; later starts reuse it),
 * reached through a unix socket in a private temporary directory. `stop()` shuts it down
 * (fast, then SIGKILL after a bounded wait); if this process dies first, a watchdog stops
 * it, and the next start takes over a directory left locked or still served by an orphan.
 */
export class EmbeddedServer {
  readonly #child: ChildProcess;
  readonly #exited: Promise<unknown>;
  readonly #watchdog: ServerWatchdog;
  readonly #lock: DataDirLock | undefined;
  readonly #stopTimeoutMs: number;
  #stopping: Promise<void> | undefined;

  private constructor(
    /** The data directory in use (a temporary one for `:memory:`). */
    readonly dataDir: string,
    /** The directory of the server's unix socket: the `host` to connect to. */
    readonly socketDir: string,
    /** The port naming the socket (`.s.PGSQL.<port>`); nothing listens on TCP. */
    readonly port: number,
    /** Whether initdb created the data directory on this start. */
    readonly created: boolean,
    parts: {
      child: ChildProcess;
      exited: Promise<unknown>;
      watchdog: ServerWatchdog;
      lock: DataDirLock | undefined;
      stopTimeoutMs: number;
    },
  ) {
    this.#child = parts.child;
    this.#exited = parts.exited;
    this.#watchdog = parts.watchdog;
    this.#lock = parts.lock;
    this.#stopTimeoutMs = parts.stopTimeoutMs;
  }

  /** The postmaster's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.#child.pid : undefined;
  }

  /** Whether the server process runs. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The watchdog's process id (tests). */
  get watchdogPid(): number | undefined {
    return this.#watchdog.pid;
  }

  /** Creates the data directory if needed and starts the server; resolves once it accepts connections. */
  static async start(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
    const memory = options.dataDir === MEMORY;
    const { runAs } = options;
    const socketDir = privateTempDir(SOCKET_DIR_PREFIX, runAs);
    let dataDir = '';
    let lock: DataDirLock | undefined;
    try {
      let created = false;
      if (memory) {
        dataDir = join(socketDir, 'data');
        await freshDataDir(options.binaries, dataDir, (dir) => initdb(options, dir, false));
        created = true;
      } else {
        dataDir = resolve(options.dataDir);
        checkReachable(dataDir, runAs);
        if (!existsSync(join(dataDir, 'PG_VERSION'))) {
          created = await createDataDir(options, dataDir);
        }
        lock = DataDirLock.acquire(dataDir);
        await stopOrphan(dataDir, lock, options);
      }
      const major = Number.parseInt(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8'), 10);
      const { child, exited, watchdog, port } = await launch(options, {
        dataDir,
        socketDir,
        major,
        durable: !memory,
      });
      return new EmbeddedServer(dataDir, socketDir, port, created, {
        child,
        exited,
        watchdog,
        lock,
        stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      });
    } catch (error) {
      lock?.release();
      rmSync(socketDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Fast shutdown, SIGKILL after the stop timeout; then the lock and the socket go. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#watchdog.cancel();
    const child = this.#child;
    child.ref(); // a script awaiting only this must not end before the server has
    try {
      if (this.running) {
        child.kill('SIGINT'); // fast shutdown: rolls back open transactions, checkpoints
        const stopped = await Promise.race([
          this.#exited.then(() => true),
          sleep(this.#stopTimeoutMs, false, { ref: false }),
        ]);
        if (!stopped) killGroup(child.pid);
        await this.#exited;
      }
    } finally {
      child.unref();
      this.#lock?.release();
      // The socket's directory, and a throwaway database's data with it.
      rmSync(this.socketDir, { recursive: true, force: true });
    }
  }
}

/** A new directory under the system's temporary directory, private to the server's user. */
function privateTempDir(prefix: string, runAs: RunAs | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

function identity(runAs: RunAs | undefined): { uid?: number; gid?: number } {
  return runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid };
}

/** Runs initdb into `dir` (created, owned by the server's user). */
async function initdb(options: EmbeddedServerOptions, dir: string, sync: boolean): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (options.runAs !== undefined) chownSync(dir, options.runAs.uid, options.runAs.gid);
  const [file, args] = initdbCommand(options.binaries, dir, { sync });
  await new Promise<void>((done, fail) => {
    execFile(file, args, { ...identity(options.runAs), encoding: 'utf8' }, (error, _out, err) => {
      if (error === null) done();
      else
        fail(
          new DependencyUnavailableError(
            `initdb (${file}) could not create the embedded PostgreSQL data directory ${dir}: ${(err || error.message).trim().split('\n').slice(-3).join(' ')}`,
            { code: 'EMBEDDED_START_FAILED', cause: error, details: [{ dataDir: dir }] },
          ),
        );
    });
  });
}

/**
 * Creates the data directory with initdb, in a sibling directory renamed into place when
 * complete: an interrupted initdb leaves no half-made directory that later starts would
 * take for data. Returns false when another process created it meanwhile.
 */
async function createDataDir(options: EmbeddedServerOptions, dataDir: string): Promise<boolean> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new DependencyUnavailableError(
      `The embedded PostgreSQL data directory ${dataDir} is not empty but holds no PostgreSQL data (no PG_VERSION): point postgres.data_dir at a new or empty directory`,
      { code: 'EMBEDDED_DATA_DIR_INVALID', details: [{ dataDir }] },
    );
  }
  options.logger?.info(
    { dataDir },
    'creating the embedded PostgreSQL data directory (first start, a few seconds)',
  );
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  // Leftovers of an initdb that was interrupted.
  for (const name of readdirSync(parent)) {
    const pid = Number(/\.initdb-(\d+)$/.exec(name)?.[1]);
    if (name.startsWith(`${basename(dataDir)}.initdb-`) && !processAlive(pid)) {
      rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
  const temp = `${dataDir}.initdb-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  try {
    await initdb(options, temp, true);
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true }); // empty: checked above
    renameSync(temp, dataDir);
    return true;
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    if (existsSync(join(dataDir, 'PG_VERSION'))) return false; // another app made it first
    throw error;
  }
}

/**
 * As root the server runs as another user, which must be able to reach the data directory:
 * said up front rather than as initdb's "permission denied".
 */
function checkReachable(dataDir: string, runAs: RunAs | undefined): void {
  if (runAs === undefined) return;
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(dir);
    } catch {
      stat = undefined; // not created yet: made by us, traversable
    }
    if (stat !== undefined) {
      const bit = stat.uid === runAs.uid ? 0o100 : stat.gid === runAs.gid ? 0o010 : 0o001;
      if ((stat.mode & bit) === 0) {
        throw new DependencyUnavailableError(
          `The embedded PostgreSQL server runs as uid ${runAs.uid} (PostgreSQL refuses to run as root) and cannot reach its data directory ${dataDir}: ${dir} is not searchable by that user. Put postgres.data_dir where it can (chmod o+x ${dir}), or name another user in LIBRETTO_PG_USER`,
          { code: 'EMBEDDED_DATA_DIR_INVALID', details: [{ dataDir }] },
        );
      }
    }
    if (dirname(dir) === dir) return;
  }
}

/**
 * A server still running on the directory though its app is gone (the lock was taken over):
 * stopped before ours starts. A stale postmaster.pid whose process is gone is left to
 * PostgreSQL, which removes it; one naming a live process that is no server of this
 * directory (a pid reused after a reboot) is removed here, which PostgreSQL would not do.
 */
async function stopOrphan(
  dataDir: string,
  lock: DataDirLock,
  options: EmbeddedServerOptions,
): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n');
  } catch {
    return;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (Number.isInteger(pid) && processAlive(pid)) {
    if (!commandLine(pid).includes(dataDir)) {
      rmSync(pidFile, { force: true });
    } else {
      options.logger?.warn(
        { dataDir, pid, previousOwner: lock.previousOwner ?? null },
        'stopping an embedded PostgreSQL server left running by an app that ended',
      );
      signal(pid, 'SIGINT');
      const deadline = Date.now() + (options.stopTimeoutMs ?? 10_000);
      while (processAlive(pid) && Date.now() < deadline) await sleep(20);
      if (processAlive(pid)) killGroup(pid);
      while (processAlive(pid)) await sleep(20);
    }
  }
  // The socket directory of that server (line 5), which no watchdog removed: ours only.
  const socketDir = lines[4]?.trim() ?? '';
  if (dirname(socketDir) === tmpdir() && basename(socketDir).startsWith(SOCKET_DIR_PREFIX)) {
    rmSync(socketDir, { recursive: true, force: true });
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** SIGKILL to the server and its backends (its own process group). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    signal(pid, 'SIGKILL');
  }
}

/** Server logs over 10 MB are rotated to `postgres.log.1` at start. */
const LOG_LIMIT = 10 * 1024 * 1024;

/** Spawns the server (and its watchdog) and waits until it accepts connections. */
async function launch(
  options: EmbeddedServerOptions,
  at: { dataDir: string; socketDir: string; major: number; durable: boolean },
): Promise<{
  child: ChildProcess;
  exited: Promise<unknown>;
  watchdog: ServerWatchdog;
  port: number;
}> {
  const port = 5432;
  const log = join(at.dataDir, 'postgres.log');
  try {
    if (statSync(log).size > LOG_LIMIT) renameSync(log, `${log}.1`);
  } catch {
    // No log yet.
  }
  const fd = openSync(log, 'a', 0o600);
  const args = ['-D', at.dataDir, '-k', at.socketDir, '-p', String(port)];
  for (const s of serverSettings(at.major, options.maxConnections, at.durable)) args.push('-c', s);
  let child: ChildProcess;
  try {
    child = spawn(options.binaries.postgres, args, {
      ...identity(options.runAs),
      stdio: ['ignore', fd, fd],
      detached: true, // its own process group: Ctrl-C reaches the app, which stops it in order
    });
  } finally {
    closeSync(fd);
  }
  const exited = once(child, 'exit').catch(() => undefined);
  const spawnError = once(child, 'error').then(([e]) => e as Error);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    const error = await spawnError;
    throw new DependencyUnavailableError(
      `Cannot run the PostgreSQL server ${options.binaries.postgres}: ${error.message}`,
      { code: 'EMBEDDED_START_FAILED', cause: error },
    );
  }
  const watchdog = new ServerWatchdog(pid, at.socketDir);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const alive = () => child.exitCode === null && child.signalCode === null;
  while (alive() && Date.now() < deadline) {
    if (readyPid(at.dataDir) === pid) return { child, exited, watchdog, port };
    await sleep(10);
  }
  const timedOut = alive();
  watchdog.cancel();
  if (timedOut) {
    killGroup(pid);
  }
  await exited;
  throw await startFailure(options, at.dataDir, log, at.major, timedOut);
}

/** The pid of postmaster.pid once the server it names accepts connections. */
function readyPid(dataDir: string): number | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return lines[7]?.trim() === 'ready' ? Number(lines[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the server did not start, from its log: said in the first line, with what to do. */
async function startFailure(
  options: EmbeddedServerOptions,
  dataDir: string,
  log: string,
  major: number,
  timedOut: boolean,
): Promise<Error> {
  const tail = (await readFile(log, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-8);
  const text = tail.join('\n');
  if (/lock file "postmaster\.pid" already exists/.test(text)) {
    return new DependencyUnavailableError(
      `The embedded PostgreSQL data directory ${dataDir} is in use by another PostgreSQL server: stop the app using it, or give this one another directory (postgres.data_dir, LIBRETTO_POSTGRES__DATA_DIR)`,
      { code: 'EMBEDDED_DATA_DIR_IN_USE', details: [{ dataDir }] },
    );
  }
  const binaries = binariesMajorVersion(options.binaries);
  if (binaries !== major) {
    return new DependencyUnavailableError(
      `The embedded PostgreSQL data directory ${dataDir} holds PostgreSQL ${major} data, but the server binaries (${options.binaries.binDir}) are PostgreSQL ${binaries}: dump it with PostgreSQL ${major} and restore it, or remove the directory to start empty (PGlite's data? set postgres.backend: pglite to keep using it)`,
      { code: 'EMBEDDED_DATA_DIR_INVALID', details: [{ dataDir, data: major, binaries }] },
    );
  }
  const why = timedOut ? 'did not accept connections in time' : 'exited';
  return new DependencyUnavailableError(
    `The embedded PostgreSQL server (${options.binaries.postgres}) ${why} on data directory ${dataDir}; its log ${log} ends:\n${text}`,
    { code: 'EMBEDDED_START_FAILED', details: [{ dataDir, log }] },
  );
}
