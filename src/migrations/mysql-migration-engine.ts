import { maskSecrets } from '../internal/redaction.js';
import type { Database } from '../postgres/database.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import {
  finishStep,
  type MigrationEngine,
  type MigrationStep,
  runModuleStep,
} from './migration-engine.js';
import { driverErrorOf, migrationFailedPartway } from './migration-errors.js';
import type { SqlPart } from './migration-file.js';
import { MysqlMigrationHistory } from './mysql-migration-history.js';
import {
  mysqlMigrationLockName,
  releaseMysqlMigrationLock,
  takeMysqlMigrationLock,
} from './mysql-migration-lock.js';
import { type ScriptStatement, splitStatements } from './sql-script.js';

/**
 * Migrations on MySQL and MariaDB, which commit DDL at once: a migration cannot be undone by
 * a rollback, so its statements run one by one and a failure says how many of them stay
 * applied; when some do, the migration is recorded as failed, and `up` and `down` refuse to
 * run until someone finishes or undoes it by hand and runs `repair`. (`-- libretto:no-transaction`
 * changes nothing here: every SQL migration runs that way.) One runner at a time under
 * `GET_LOCK`.
 */
export class MysqlMigrationEngine implements MigrationEngine {
  readonly history: MysqlMigrationHistory;

  constructor(table?: string) {
    this.history = new MysqlMigrationHistory(table);
  }

  async lock(
    db: Database,
    timeoutMs: number,
    onWait: (holder: string | undefined) => void,
  ): Promise<() => Promise<void>> {
    const database = await this.history.database(db);
    const name = mysqlMigrationLockName(database, this.history.name.split('.').at(-1) as string);
    const restore = await withoutStatementTimeout(db);
    try {
      await takeMysqlMigrationLock(db, name, database, timeoutMs, onWait);
    } catch (error) {
      await restore();
      throw error;
    }
    return async () => {
      try {
        await releaseMysqlMigrationLock(db, name);
      } finally {
        await restore();
      }
    };
  }

  async runSql(db: Database, step: MigrationStep, part: SqlPart): Promise<void> {
    const statements = splitStatements(part.sql, 'mysql');
    let done = 0;
    try {
      for (const statement of statements) {
        await db.execute(statement.text);
        done++;
      }
      await finishStep(this.history, db, step);
    } catch (error) {
      const statement = statements[done];
      const line =
        statement === undefined ? undefined : part.line - 1 + lineOfError(statement, error);
      throw await this.#failed(db, step, line, done, error);
    }
  }

  /**
   * A module in a transaction keeps its data changes atomic, but any DDL in it commits: a
   * failure is always recorded (how much of it stays is not known).
   */
  async runModule(
    db: Database,
    step: MigrationStep,
    transaction: boolean,
    run: (db: DatabaseAdapter) => Promise<void>,
  ): Promise<void> {
    try {
      await runModuleStep(this.history, db, step, transaction, run);
    } catch (error) {
      throw await this.#failed(db, step, undefined, undefined, error);
    }
  }

  /** Records a failure that left statements applied (`applied` undefined: not known); the error. */
  async #failed(
    db: Database,
    step: MigrationStep,
    line: number | undefined,
    applied: number | undefined,
    error: unknown,
  ): Promise<Error> {
    const { file, direction } = step;
    if (applied !== 0) {
      const duration = performance.now() - step.started;
      // The connection may be gone with the failure: the error says what happened anyway.
      await this.history
        .recordFailure(db, file, direction, applied, duration)
        .catch(() => undefined);
    }
    return migrationFailedPartway(
      file.path,
      file.id,
      direction,
      line,
      reasonOf(error),
      applied,
      error,
    );
  }
}

/** The server's reason with its error number (`Table 'app.persn' doesn't exist (errno 1146)`). */
function reasonOf(error: unknown): string {
  const driver = driverErrorOf(error) as { message?: unknown; errno?: unknown } | null;
  const message = maskSecrets(String(driver?.message ?? error)).split('\n')[0] as string;
  return typeof driver?.errno === 'number' ? `${message} (errno ${driver.errno})` : message;
}

/**
 * The line of the script a failing statement points at: a syntax error's `at line N` (of the
 * statement as sent), else the statement's first line of SQL (after its leading comments).
 */
function lineOfError(statement: ScriptStatement, error: unknown): number {
  const message = String((driverErrorOf(error) as { message?: unknown } | null)?.message ?? '');
  const near = /at line (\d+)\s*$/.exec(message);
  if (near !== null) return statement.line + Number(near[1]) - 1;
  const lead =
    /^(\s*(#[^\n]*\n|--\s[^\n]*\n|\/\*[\s\S]*?\*\/))*\s*/.exec(statement.text)?.[0] ?? '';
  return statement.line + (lead.split('\n').length - 1);
}

/**
 * Turns the session's statement time limit off for the run (a migration may take long):
 * MariaDB's `max_statement_time`, else MySQL's `max_execution_time`; resolves to what puts
 * the session's value back.
 */
async function withoutStatementTimeout(db: Database): Promise<() => Promise<void>> {
  for (const variable of ['max_statement_time', 'max_execution_time']) {
    const before = await db
      .fetchVal<number | string>(`SELECT @@SESSION.${variable}`)
      .catch(() => undefined);
    if (before === undefined || before === null) continue;
    await db.execute(`SET SESSION ${variable} = 0`);
    const value = Number(before);
    return async () => {
      await db.execute(`SET SESSION ${variable} = ${value}`).catch(() => undefined);
    };
  }
  return async () => {};
}
