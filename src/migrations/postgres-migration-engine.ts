import { failureReason } from '../postgres/connect-failure.js';
import type { Database } from '../postgres/database.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import {
  finishStep,
  type MigrationEngine,
  type MigrationStep,
  runModuleStep,
} from './migration-engine.js';
import { driverErrorOf, invalidMigrationFile, migrationFailed } from './migration-errors.js';
import type { MigrationFile, SqlPart } from './migration-file.js';
import { migrationLockKey, releaseMigrationLock, takeMigrationLock } from './migration-lock.js';
import { PostgresMigrationHistory } from './postgres-migration-history.js';
import { lineAt, type ScriptStatement, splitStatements } from './sql-script.js';

/**
 * Migrations on PostgreSQL: each in one transaction with its record (DDL is transactional),
 * sent as one script; one runner at a time under a session-level advisory lock.
 */
export class PostgresMigrationEngine implements MigrationEngine {
  readonly history: PostgresMigrationHistory;

  constructor(table?: string) {
    this.history = new PostgresMigrationHistory(table);
  }

  async lock(
    db: Database,
    timeoutMs: number,
    onWait: (holder: string | undefined) => void,
  ): Promise<() => Promise<void>> {
    const key = migrationLockKey(this.history.name);
    const reset = async () => {
      await db.execute('RESET statement_timeout').catch(() => undefined);
      await db.execute('RESET client_connection_check_interval').catch(() => undefined);
    };
    await db.execute('SET statement_timeout = 0');
    // A runner killed mid-statement: the server notices within a second even while the
    // statement runs (PostgreSQL 14+), rolls it back and frees the lock.
    await db.execute("SET client_connection_check_interval = '1s'").catch(() => undefined);
    try {
      await takeMigrationLock(db, key, timeoutMs, onWait);
    } catch (error) {
      await reset();
      throw error;
    }
    return async () => {
      try {
        await releaseMigrationLock(db, key);
      } finally {
        await reset();
      }
    };
  }

  /**
   * In a transaction: one round trip — `BEGIN`, the part, its bookkeeping and `COMMIT` as one
   * script; a failure the server gives no position for (most DDL) is located by replaying the
   * statements one by one in a transaction rolled back at once. Outside a transaction:
   * statement by statement (PostgreSQL would wrap a script in an implicit transaction), then
   * the bookkeeping.
   */
  async runSql(db: Database, step: MigrationStep, part: SqlPart, transaction: boolean) {
    const { file, direction } = step;
    const statements = splitStatements(part.sql);
    refuseTransactionControl(file, part, statements, transaction);
    if (transaction) {
      const head = 'BEGIN;\n';
      const bookkeeping =
        direction === 'up'
          ? this.history.recordStatement(file)
          : this.history.removeStatement(file.id);
      try {
        await db.execute(`${head}${part.sql}\n;\n${bookkeeping};\nCOMMIT;`);
      } catch (error) {
        await db.execute('ROLLBACK').catch(() => undefined);
        const offset = positionOf(error) - 1 - head.length;
        const line =
          offset >= 0 && offset < part.sql.length
            ? part.line + lineAt(part.sql, offset) - 1
            : await locate(db, part, statements);
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
      await finishStep(this.history, db, step);
    } catch (error) {
      const statement = statements[done];
      const line =
        statement === undefined
          ? undefined
          : part.line + statement.line - 1 + lineOfError(statement.text, error) - 1;
      throw migrationFailed(file.path, direction, line, reasonOf(error), done > 0, error);
    }
  }

  async runModule(
    db: Database,
    step: MigrationStep,
    transaction: boolean,
    run: (db: DatabaseAdapter) => Promise<void>,
  ): Promise<void> {
    try {
      await runModuleStep(this.history, db, step, transaction, run);
    } catch (error) {
      throw migrationFailed(
        step.file.path,
        step.direction,
        undefined,
        reasonOf(error),
        !transaction,
        error,
      );
    }
  }
}

/** The line of the first statement that fails when replayed alone, in a transaction rolled back. */
async function locate(
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

function reasonOf(error: unknown): string {
  return failureReason(driverErrorOf(error)).split('\n')[0] as string;
}

/** The server's error position (1-based, in the text it was sent), or 0. */
function positionOf(error: unknown): number {
  const position = Number((driverErrorOf(error) as { position?: unknown } | null)?.position);
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
