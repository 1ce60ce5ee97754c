import { checkMinimums, invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { failureReason } from '../postgres/connect-failure.js';
import { Database } from '../postgres/database.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { mustDiscard } from '../postgres/error-mapping.js';
import { compareIds, findMigrationsDirectory, readMigrationFiles } from './migration-directory.js';
import {
  appliedChanged,
  invalidMigrationFile,
  migrationFailed,
  noDownPart,
  unknownMigration,
} from './migration-errors.js';
import {
  loadMigrationModule,
  type MigrationFile,
  parseSqlMigration,
  type SqlPart,
} from './migration-file.js';
import { type AppliedMigration, MigrationHistory } from './migration-history.js';
import { migrationLockKey, releaseMigrationLock, takeMigrationLock } from './migration-lock.js';
import { SessionPool } from './session-pool.js';
import { lineAt, type ScriptStatement, splitStatements } from './sql-script.js';

/** Where a migration stands: applied, pending, or applied and then edited or deleted. */
export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing';

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
 * Applies and reverts the migrations of a directory: each in its own transaction together
 * with its record (a file with `-- libretto:no-transaction` runs outside one and is recorded
 * after it succeeds), one runner at a time under an advisory lock, and never over an applied
 * file that changed or disappeared (`repair` records it as it is now).
 *
 * @example
 * const migrator = new Migrator({ database: db });
 * await migrator.up();
 */
export class Migrator {
  readonly #database: Database;
  readonly #directory: string | undefined;
  readonly #cwd: string;
  readonly #history: MigrationHistory;
  readonly #lockTimeoutMs: number;
  readonly #onEvent: (event: MigrationEvent) => void;

  constructor(options: MigratorOptions) {
    rejectUnknownKeys('Migrator', options, KEYS);
    checkMinimums('Migrator', options, { lockTimeoutMs: 0 });
    if (!(options.database instanceof Database)) {
      invalidOption(
        'Migrator',
        'database',
        'must be a Database (from PostgresService or new Database(pool))',
      );
    }
    const timeout = options.lockTimeoutMs ?? 60_000;
    this.#database = options.database;
    this.#directory = options.directory;
    this.#cwd = options.cwd ?? process.cwd();
    this.#history = new MigrationHistory(options.table);
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
    const applied = await this.#session(false, (db) => this.#history.read(db));
    return statusOf(files, applied);
  }

  /** The id of the migration applied last, or undefined. */
  async version(): Promise<string | undefined> {
    const applied = await this.#session(false, (db) => this.#history.read(db));
    return applied.at(-1)?.id;
  }

  /**
   * Applies the pending migrations in id order (up to and including `to`); returns them.
   * Refuses to start while an applied migration was edited or deleted.
   */
  async up(options: { readonly to?: string } = {}): Promise<MigrationStatus[]> {
    const files = readMigrationFiles(this.directory);
    const to = options.to;
    if (to !== undefined && !files.some((f) => f.id === to)) throw unknownMigration(to);
    return this.#session(true, async (db) => {
      await this.#history.ensure(db);
      const status = statusOf(files, await this.#history.read(db));
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
      const applied = await this.#history.read(db);
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
   * migration whose file is gone is forgotten (its record deleted). Changes no schema.
   */
  async repair(id: string): Promise<MigrationState> {
    const files = readMigrationFiles(this.directory);
    return this.#session(true, async (db) => {
      const applied = await this.#history.read(db);
      const state = statusOf(files, applied).find((s) => s.id === id)?.state;
      if (state === undefined) throw unknownMigration(id);
      const file = files.find((f) => f.id === id);
      if (state === 'edited' && file !== undefined) {
        await this.#history.updateChecksum(db, id, file.checksum);
      } else if (state === 'missing') {
        await this.#history.remove(db, id);
      }
      return state;
    });
  }

  /**
   * Runs `work` on one server session (a master connection on HA), with no statement timeout
   * (a migration may take long), under the lock when `locked`.
   */
  async #session<T>(locked: boolean, work: (db: Database) => Promise<T>): Promise<T> {
    const pool = this.#database.pool;
    const connection = await pool.acquire();
    const session = new SessionPool(connection, pool.kind);
    const db = new Database(session);
    const key = migrationLockKey(this.#history.name);
    let failure: unknown;
    try {
      if (locked) {
        await db.execute('SET statement_timeout = 0');
        // A runner killed mid-statement: the server notices within a second even while the
        // statement runs (PostgreSQL 14+), rolls it back and frees the lock.
        await db.execute("SET client_connection_check_interval = '1s'").catch(() => undefined);
        await takeMigrationLock(db, key, this.#lockTimeoutMs, (holder) =>
          this.#onEvent({ type: 'waiting-for-lock', holder }),
        );
      }
      try {
        return await work(db);
      } finally {
        if (locked) {
          await releaseMigrationLock(db, key).catch((error: unknown) => {
            failure ??= error;
          });
          await db.execute('RESET statement_timeout').catch(() => undefined);
          await db.execute('RESET client_connection_check_interval').catch(() => undefined);
        }
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      connection.release(session.broken || (failure !== undefined && mustDiscard(failure)));
    }
  }

  /** Applies one migration; returns how long it took (ms). */
  async #apply(db: Database, file: MigrationFile): Promise<number> {
    const started = performance.now();
    if (file.format === 'sql') {
      const sql = parseSqlMigration(file.path, file.text);
      await this.#runSql(db, file, sql.up, sql.transaction, 'up', {
        sql: this.#history.recordStatement(file),
        run: (on) => this.#history.record(on, file, performance.now() - started),
      });
    } else {
      const module = await loadMigrationModule(file.path);
      await this.#runModule(
        db,
        file,
        module.transaction !== false,
        'up',
        (tx) => module.up(tx),
        (tx) => this.#history.record(tx, file, performance.now() - started),
      );
    }
    return performance.now() - started;
  }

  /** Reverts one migration; returns how long it took (ms). */
  async #revert(db: Database, file: MigrationFile): Promise<number> {
    const started = performance.now();
    const forget = (tx: DatabaseAdapter) => this.#history.remove(tx, file.id);
    if (file.format === 'sql') {
      const sql = parseSqlMigration(file.path, file.text);
      if (sql.down === undefined) throw noDownPart(file.path);
      await this.#runSql(db, file, sql.down, sql.transaction, 'down', {
        sql: this.#history.removeStatement(file.id),
        run: forget,
      });
    } else {
      const module = await loadMigrationModule(file.path);
      const down = module.down;
      if (down === undefined) throw noDownPart(file.path);
      await this.#runModule(
        db,
        file,
        module.transaction !== false,
        'down',
        (tx) => down(tx),
        forget,
      );
    }
    return performance.now() - started;
  }

  /**
   * A SQL part. In a transaction: one round trip — `BEGIN`, the part, its bookkeeping and
   * `COMMIT` as one script; a failure the server gives no position for (most DDL) is located
   * by replaying the statements one by one in a transaction rolled back at once. Outside a
   * transaction: statement by statement (PostgreSQL would wrap a script in an implicit
   * transaction), then the bookkeeping.
   */
  async #runSql(
    db: Database,
    file: MigrationFile,
    part: SqlPart,
    transaction: boolean,
    direction: 'up' | 'down',
    bookkeeping: { readonly sql: string; readonly run: (db: DatabaseAdapter) => Promise<void> },
  ): Promise<void> {
    const statements = splitStatements(part.sql);
    refuseTransactionControl(file, part, statements, transaction);
    if (transaction) {
      const head = 'BEGIN;\n';
      try {
        await db.execute(`${head}${part.sql}\n;\n${bookkeeping.sql};\nCOMMIT;`);
      } catch (error) {
        await db.execute('ROLLBACK').catch(() => undefined);
        const offset = positionOf(error) - 1 - head.length;
        const line =
          offset >= 0 && offset < part.sql.length
            ? part.line + lineAt(part.sql, offset) - 1
            : await this.#locate(db, part, statements);
        throw migrationFailed(file.path, direction, line, reasonOf(error), false, error);
      }
      return;
    }
    let done = 0;
    try {
      for (const statement of statements) {
        await db.execute(statement.text);
        done++;
      }
      await bookkeeping.run(db);
    } catch (error) {
      const statement = statements[done];
      const line =
        statement === undefined
          ? undefined
          : part.line + statement.line - 1 + lineOfError(statement.text, error) - 1;
      throw migrationFailed(file.path, direction, line, reasonOf(error), done > 0, error);
    }
  }

  /** The line of the first statement that fails when replayed alone, in a transaction rolled back. */
  async #locate(
    db: Database,
    part: SqlPart,
    statements: readonly ScriptStatement[],
  ): Promise<number | undefined> {
    try {
      await db.execute('BEGIN');
      for (const statement of statements) {
        try {
          await db.execute(statement.text);
        } catch (error) {
          return part.line + statement.line - 1 + lineOfError(statement.text, error) - 1;
        }
      }
      return undefined; // it passed alone: a failure of the moment (a lock, a conflict)
    } catch {
      return undefined;
    } finally {
      await db.execute('ROLLBACK').catch(() => undefined);
    }
  }

  async #runModule(
    db: Database,
    file: MigrationFile,
    transaction: boolean,
    direction: 'up' | 'down',
    run: (db: DatabaseAdapter) => Promise<void>,
    bookkeeping: (db: DatabaseAdapter) => Promise<void>,
  ): Promise<void> {
    try {
      if (transaction) {
        await db.transaction(async (tx) => {
          await run(tx);
          await bookkeeping(tx);
        });
      } else {
        await run(db);
        await bookkeeping(db);
      }
    } catch (error) {
      throw migrationFailed(file.path, direction, undefined, reasonOf(error), !transaction, error);
    }
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
      state: record.checksum === f.checksum ? 'applied' : 'edited',
      path: f.path,
      appliedAt: record.appliedAt,
      durationMs: record.durationMs,
    };
  });
  const known = new Set(files.map((f) => f.id));
  for (const a of applied) {
    if (known.has(a.id)) continue;
    result.push({
      id: a.id,
      name: a.name,
      state: 'missing',
      appliedAt: a.appliedAt,
      durationMs: a.durationMs,
    });
  }
  return result.sort((a, b) => compareIds(a.id, b.id));
}

function refuseChanged(status: readonly MigrationStatus[], files: readonly MigrationFile[]): void {
  const edited = status
    .filter((s) => s.state === 'edited')
    .map((s) => ({ id: s.id, file: files.find((f) => f.id === s.id)?.path ?? s.id }));
  const missing = status.filter((s) => s.state === 'missing');
  if (edited.length > 0 || missing.length > 0) throw appliedChanged(edited, missing);
}

/** The driver's error under a mapped one (it has the position and the SQLSTATE). */
function driverError(error: unknown): unknown {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && typeof (cause as { code?: unknown }).code === 'string'
    ? cause
    : error;
}

function reasonOf(error: unknown): string {
  return failureReason(driverError(error)).split('\n')[0] as string;
}

/** The server's error position (1-based, in the text it was sent), or 0. */
function positionOf(error: unknown): number {
  const position = Number((driverError(error) as { position?: unknown } | null)?.position);
  return Number.isInteger(position) && position > 0 ? position : 0;
}

/** The line of `text` the server's error position points at (1 when it gives none). */
function lineOfError(text: string, error: unknown): number {
  const position = positionOf(error);
  return position > 0 ? lineAt(text, position - 1) : 1;
}

const TRANSACTION_CONTROL = /^(begin|start\s+transaction|commit|end|rollback|abort)\b/i;

/**
 * A migration that runs in a transaction must not end or start one itself: its record would
 * land outside it. (`-- libretto:no-transaction` leaves transactions to the file.)
 */
function refuseTransactionControl(
  file: MigrationFile,
  part: SqlPart,
  statements: readonly ScriptStatement[],
  transaction: boolean,
): void {
  if (!transaction) return;
  const control = statements.find((s) => TRANSACTION_CONTROL.test(stripLeadingComments(s.text)));
  if (control === undefined) return;
  const bare = stripLeadingComments(control.text);
  const word = bare.split(/\s+/)[0]?.toUpperCase();
  const skipped = control.text.slice(0, control.text.length - bare.length).split('\n').length - 1;
  throw invalidMigrationFile(
    file.path,
    `${word} at line ${part.line + control.line - 1 + skipped}: each migration already runs in a transaction of its own (with \`-- libretto:no-transaction\` the file manages its own)`,
  );
}

function stripLeadingComments(text: string): string {
  return text.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*\s*/, '');
}
