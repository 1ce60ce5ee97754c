import { checkMinimums, invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { Database } from '../postgres/database.js';
import { compareIds, findMigrationsDirectory, readMigrationFiles } from './migration-directory.js';
import type { MigrationEngine, MigrationStep } from './migration-engine.js';
import {
  appliedChanged,
  failedMigrations,
  noDownPart,
  unknownMigration,
} from './migration-errors.js';
import { loadMigrationModule, type MigrationFile, parseSqlMigration } from './migration-file.js';
import type { AppliedMigration, MigrationFailure } from './migration-history.js';
import { MysqlMigrationEngine } from './mysql-migration-engine.js';
import { PostgresMigrationEngine } from './postgres-migration-engine.js';
import { SessionPool } from './session-pool.js';

/**
 * Where a migration stands: applied, pending, applied and then edited or deleted, or (MySQL)
 * failed partway — some of its statements applied, until `repair`.
 */
export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing' | 'failed';

/** One migration as `status` reports it. */
export interface MigrationStatus {
  readonly id: string;
  readonly name: string;
  readonly state: MigrationState;
  /** The file, unless `missing`. */
  readonly path?: string;
  /** When it was applied, unless `pending`. */
  readonly appliedAt?: Date;
  readonly durationMs?: number;
  /** How it failed, when `failed`. */
  readonly failure?: MigrationFailure;
}

/** What a run reports as it goes (the CLI prints it, `MigrationService` logs it). */
export type MigrationEvent =
  | { readonly type: 'waiting-for-lock'; readonly holder: string | undefined }
  | {
      readonly type: 'applied' | 'reverted';
      readonly id: string;
      readonly name: string;
      readonly durationMs: number;
    };

/** Options of a {@link Migrator}. */
export interface MigratorOptions {
  /** The database to migrate; on the HA backend the run takes a master connection. */
  readonly database: Database;
  /**
   * The migrations directory, relative to `cwd`. Default: the first that exists of
   * `migrations`, `db/migrations`, `src/migrations`, `app/migrations`.
   */
  readonly directory?: string;
  /** Where relative directories are found. Default `process.cwd()`. */
  readonly cwd?: string;
  /** The table that records applied migrations. Default `libretto_migrations`. */
  readonly table?: string;
  /** How long a run waits for another runner's lock before giving up (ms). Default 60 000. */
  readonly lockTimeoutMs?: number;
  readonly onEvent?: (event: MigrationEvent) => void;
}

const KEYS = new Set(['database', 'directory', 'cwd', 'table', 'lockTimeoutMs', 'onEvent']);

/**
 * Applies and reverts the migrations of a directory, one runner at a time under a lock, and
 * never over an applied file that changed or disappeared (`repair` records it as it is now).
 * On PostgreSQL each runs in its own transaction together with its record (a file with
 * `-- libretto:no-transaction` runs outside one and is recorded after it succeeds); on MySQL,
 * which commits DDL at once, statement by statement, and one that fails partway is recorded
 * as failed until `repair` removes it.
 *
 * @example
 * const migrator = new Migrator({ database: db });
 * await migrator.up();
 */
export class Migrator {
  readonly #database: Database;
  readonly #directory: string | undefined;
  readonly #cwd: string;
  readonly #engine: MigrationEngine;
  readonly #lockTimeoutMs: number;
  readonly #onEvent: (event: MigrationEvent) => void;

  constructor(options: MigratorOptions) {
    rejectUnknownKeys('Migrator', options, KEYS);
    checkMinimums('Migrator', options, { lockTimeoutMs: 0 });
    if (!(options.database instanceof Database)) {
      invalidOption(
        'Migrator',
        'database',
        'must be a Database (from PostgresService, MysqlService or new Database(pool))',
      );
    }
    const timeout = options.lockTimeoutMs ?? 60_000;
    this.#database = options.database;
    this.#directory = options.directory;
    this.#cwd = options.cwd ?? process.cwd();
    this.#engine =
      options.database.engine.name === 'mysql'
        ? new MysqlMigrationEngine(options.table)
        : new PostgresMigrationEngine(options.table);
    this.#lockTimeoutMs = timeout;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** The migrations directory in use (absolute). */
  get directory(): string {
    return findMigrationsDirectory(this.#directory, this.#cwd);
  }

  /** Every migration, files and records together, by id. Takes no lock, writes nothing. */
  async status(): Promise<MigrationStatus[]> {
    const files = readMigrationFiles(this.directory);
    const applied = await this.#session(false, (db) => this.#engine.history.read(db));
    return statusOf(files, applied);
  }

  /** The id of the migration applied last (not one that failed partway), or undefined. */
  async version(): Promise<string | undefined> {
    const applied = await this.#session(false, (db) => this.#engine.history.read(db));
    return applied.filter((a) => a.failure === undefined).at(-1)?.id;
  }

  /**
   * Applies the pending migrations in id order (up to and including `to`); returns them.
   * Refuses to start while an applied migration was edited or deleted, or one failed partway.
   */
  async up(options: { readonly to?: string } = {}): Promise<MigrationStatus[]> {
    const files = readMigrationFiles(this.directory);
    const to = options.to;
    if (to !== undefined && !files.some((f) => f.id === to)) throw unknownMigration(to);
    return this.#session(true, async (db) => {
      await this.#engine.history.ensure(db);
      const status = statusOf(files, await this.#engine.history.read(db));
      refuseChanged(status, files);
      const done: MigrationStatus[] = [];
      for (const file of files) {
        if (to !== undefined && compareIds(file.id, to) > 0) break;
        if (status.find((s) => s.id === file.id)?.state !== 'pending') continue;
        const durationMs = await this.#apply(db, file);
        this.#onEvent({ type: 'applied', id: file.id, name: file.name, durationMs });
        done.push({ id: file.id, name: file.name, state: 'applied', path: file.path, durationMs });
      }
      return done;
    });
  }

  /** Reverts the last `steps` applied migrations (default 1), last first; returns them. */
  async down(options: { readonly steps?: number } = {}): Promise<MigrationStatus[]> {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1)
      invalidOption('down', 'steps', 'must be a whole number, 1 or more');
    const files = readMigrationFiles(this.directory);
    return this.#session(true, async (db) => {
      const applied = await this.#engine.history.read(db);
      refuseFailed(applied);
      const last = applied.slice(-steps).reverse();
      const status = statusOf(files, last);
      refuseChanged(status, files);
      const done: MigrationStatus[] = [];
      for (const record of last) {
        const file = files.find((f) => f.id === record.id) as MigrationFile;
        const durationMs = await this.#revert(db, file);
        this.#onEvent({ type: 'reverted', id: file.id, name: file.name, durationMs });
        done.push({ id: file.id, name: file.name, state: 'pending', path: file.path, durationMs });
      }
      return done;
    });
  }

  /**
   * Accepts an applied migration as it is now: an edited file's new checksum is recorded; a
   * migration whose file is gone is forgotten (its record deleted); one that failed partway
   * (MySQL) has its record removed, as Flyway does — after its applied statements were undone
   * (or the whole of it applied) by hand, it is pending again. Changes no schema.
   */
  async repair(id: string): Promise<MigrationState> {
    const files = readMigrationFiles(this.directory);
    return this.#session(true, async (db) => {
      const history = this.#engine.history;
      const applied = await history.read(db);
      const state = statusOf(files, applied).find((s) => s.id === id)?.state;
      if (state === undefined) throw unknownMigration(id);
      const file = files.find((f) => f.id === id);
      if (state === 'edited' && file !== undefined) {
        await history.updateChecksum(db, id, file.checksum);
      } else if (state === 'missing' || state === 'failed') {
        await history.remove(db, id);
      }
      return state;
    });
  }

  /**
   * Runs `work` on one server session (a master connection on HA), under the lock when
   * `locked` (the session then has no statement timeout: a migration may take long).
   */
  async #session<T>(locked: boolean, work: (db: Database) => Promise<T>): Promise<T> {
    const pool = this.#database.pool;
    const connection = await pool.acquire();
    const session = new SessionPool(connection, pool.kind, pool.engine);
    const db = new Database(session);
    let failure: unknown;
    try {
      const unlock = locked
        ? await this.#engine.lock(db, this.#lockTimeoutMs, (holder) =>
            this.#onEvent({ type: 'waiting-for-lock', holder }),
          )
        : undefined;
      try {
        return await work(db);
      } finally {
        await unlock?.().catch((error: unknown) => {
          failure ??= error;
        });
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      connection.release(
        session.broken || (failure !== undefined && db.engine.mustDiscard(failure)),
      );
    }
  }

  /** Applies one migration; returns how long it took (ms). */
  async #apply(db: Database, file: MigrationFile): Promise<number> {
    const step: MigrationStep = { file, direction: 'up', started: performance.now() };
    if (file.format === 'sql') {
      const sql = parseSqlMigration(file.path, file.text);
      await this.#engine.runSql(db, step, sql.up, sql.transaction);
    } else {
      const module = await loadMigrationModule(file.path);
      await this.#engine.runModule(db, step, module.transaction !== false, (tx) => module.up(tx));
    }
    return performance.now() - step.started;
  }

  /** Reverts one migration; returns how long it took (ms). */
  async #revert(db: Database, file: MigrationFile): Promise<number> {
    const step: MigrationStep = { file, direction: 'down', started: performance.now() };
    if (file.format === 'sql') {
      const sql = parseSqlMigration(file.path, file.text);
      if (sql.down === undefined) throw noDownPart(file.path);
      await this.#engine.runSql(db, step, sql.down, sql.transaction);
    } else {
      const module = await loadMigrationModule(file.path);
      const down = module.down;
      if (down === undefined) throw noDownPart(file.path);
      await this.#engine.runModule(db, step, module.transaction !== false, (tx) => down(tx));
    }
    return performance.now() - step.started;
  }
}

/** Files and records side by side, by id. */
function statusOf(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
): MigrationStatus[] {
  const records = new Map(applied.map((a) => [a.id, a]));
  const result: MigrationStatus[] = files.map((f) => {
    const record = records.get(f.id);
    if (record === undefined) return { id: f.id, name: f.name, state: 'pending', path: f.path };
    return {
      id: f.id,
      name: f.name,
      state:
        record.failure !== undefined
          ? 'failed'
          : record.checksum === f.checksum
            ? 'applied'
            : 'edited',
      path: f.path,
      appliedAt: record.appliedAt,
      durationMs: record.durationMs,
      ...(record.failure === undefined ? {} : { failure: record.failure }),
    };
  });
  const known = new Set(files.map((f) => f.id));
  for (const a of applied) {
    if (known.has(a.id)) continue;
    result.push({
      id: a.id,
      name: a.name,
      state: a.failure === undefined ? 'missing' : 'failed',
      appliedAt: a.appliedAt,
      durationMs: a.durationMs,
      ...(a.failure === undefined ? {} : { failure: a.failure }),
    });
  }
  return result.sort((a, b) => compareIds(a.id, b.id));
}

function refuseChanged(status: readonly MigrationStatus[], files: readonly MigrationFile[]): void {
  refuseFailed(
    status.flatMap((s) => (s.failure === undefined ? [] : [{ ...s, failure: s.failure }])),
  );
  const edited = status
    .filter((s) => s.state === 'edited')
    .map((s) => ({ id: s.id, file: files.find((f) => f.id === s.id)?.path ?? s.id }));
  const missing = status.filter((s) => s.state === 'missing');
  if (edited.length > 0 || missing.length > 0) throw appliedChanged(edited, missing);
}

/** Migrations that failed partway stop `up` and `down` until `repair`. */
function refuseFailed(
  records: readonly { id: string; name: string; failure?: MigrationFailure | undefined }[],
): void {
  const failed = records.flatMap((r) => (r.failure === undefined ? [] : [{ ...r, ...r.failure }]));
  if (failed.length > 0) throw failedMigrations(failed);
}
