import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { UsageError } from '../errors/usage-error.js';
import { initdbCommand } from '../postgres/initdb-command.js';
import type { PostgresBinaries } from '../postgres/postgres-binaries.js';
import type { RunAs } from '../postgres/unprivileged-user.js';
import { onProcessExit } from './process-cleanup.js';

/** How to stop a server: PostgreSQL's smart, fast and immediate shutdown modes. */
export type StopMode = 'smart' | 'fast' | 'immediate';

const SIGNALS: Record<StopMode, NodeJS.Signals> = {
  smart: 'SIGTERM',
  fast: 'SIGINT',
  immediate: 'SIGQUIT',
};

/** Settings every test server runs with: fast, local, observable. */
const SERVER_SETTINGS: readonly string[] = [
  'listen_addresses=127.0.0.1',
  'fsync=off',
  'full_page_writes=off',
  'max_connections=200',
  'shared_buffers=32MB',
  'wal_level=replica',
  'max_wal_senders=10',
  'max_replication_slots=10',
  'hot_standby=on',
  'wal_keep_size=64MB',
  'logging_collector=off',
];

/**
 * One PostgreSQL server of a test: its data directory, port and process. Started from the
 * given binaries as `runAs` when the test runs as root. Used by `startPostgres` and by each
 * node of `startPostgresCluster`.
 */
export class PostgresNode {
  #process: ChildProcess | undefined;
  #exited: Promise<unknown> | undefined;
  readonly #unregister: () => void;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly port: number,
    readonly socketDir: string,
    private readonly binaries: PostgresBinaries,
    private readonly runAs: RunAs | undefined,
  ) {
    this.#unregister = onProcessExit(() => this.#killNow());
  }

  /** `postgresql://postgres@127.0.0.1:<port>/<database>` (trust authentication). */
  dsn(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The postmaster's process id while running. */
  get pid(): number | undefined {
    return this.running ? this.#process?.pid : undefined;
  }

  /** Whether the server process is running. */
  get running(): boolean {
    return (
      this.#process !== undefined &&
      this.#process.exitCode === null &&
      this.#process.signalCode === null
    );
  }

  /** Creates the data directory with initdb (trust auth, user `postgres`, UTF8, C locale). */
  initdb(): void {
    const [file, args] = initdbCommand(this.binaries, this.dataDir, { sync: false });
    const result = spawnSync(file, args, { ...this.#identity(), encoding: 'utf8' });
    if (result.status !== 0) {
      throw new DependencyUnavailableError(
        `initdb failed for ${this.name}: ${result.stderr || result.error?.message}`,
        { code: 'TEST_SERVER_START_FAILED' },
      );
    }
  }

  /** Starts the server and waits until it accepts connections (a standby: read-only ones). */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) {
      throw new UsageError(`${this.name} is already running`, { code: 'TEST_SERVER_RUNNING' });
    }
    const log = join(this.dataDir, '..', `${this.name}.log`);
    const fd = openSync(log, 'a');
    if (this.runAs !== undefined) chownSync(log, this.runAs.uid, this.runAs.gid);
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.socketDir];
    for (const setting of SERVER_SETTINGS) args.push('-c', setting);
    const child = spawn(this.binaries.postgres, args, {
      ...this.#identity(),
      stdio: ['ignore', fd, fd],
      detached: true, // its own process group, so kill() takes the backends too
    });
    closeSync(fd);
    this.#process = child;
    this.#exited = once(child, 'exit').catch(() => undefined);
    child.unref();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) break;
      // A crash leaves the old postmaster.pid behind: only our process's own status counts.
      const [pid, status] = this.#pidFile();
      if (pid === child.pid && (status === 'ready' || status === 'standby')) return;
      await sleep(15);
    }
    const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    await this.kill();
    throw new DependencyUnavailableError(
      `PostgreSQL ${this.name} did not start on port ${this.port}:\n${tail}`,
      { code: 'TEST_SERVER_START_FAILED' },
    );
  }

  /** Stops the server in the given mode and waits for it to exit. */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    const child = this.#process;
    if (child === undefined || !this.running) return;
    child.kill(SIGNALS[mode]);
    await this.#exit(child);
  }

  /** Kills the server and its backends at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    if (!this.running || this.#process === undefined) return;
    this.#killNow();
    await this.#exit(this.#process);
  }

  /** Appends lines to postgresql.auto.conf (applied at the next start or reload). */
  async configure(lines: readonly string[]): Promise<void> {
    await appendFile(join(this.dataDir, 'postgresql.auto.conf'), `${lines.join('\n')}\n`);
  }

  /** @internal Forget the exit hook once the node's files are gone. */
  dispose(): void {
    this.#unregister();
  }

  /** Waits for the server to exit; referenced meanwhile, or a script awaiting only this would end. */
  async #exit(child: ChildProcess): Promise<void> {
    child.ref();
    try {
      await this.#exited;
    } finally {
      child.unref();
    }
  }

  #killNow(): void {
    const pid = this.#process?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** postmaster.pid's pid and status (`starting`, `ready`, `standby`, `stopping`). */
  #pidFile(): [number | undefined, string | undefined] {
    const file = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return [undefined, undefined];
    try {
      const lines = readFileSync(file, 'utf8').split('\n');
      return [Number(lines[0]), lines[7]?.trim()];
    } catch {
      return [undefined, undefined];
    }
  }

  #identity(): { uid?: number; gid?: number } {
    return this.runAs === undefined ? {} : { uid: this.runAs.uid, gid: this.runAs.gid };
  }
}
