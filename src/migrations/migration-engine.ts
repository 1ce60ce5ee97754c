import type { Database } from '../postgres/database.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import type { MigrationFile, SqlPart } from './migration-file.js';
import type { MigrationHistory } from './migration-history.js';

/** One part of one migration being run. */
export interface MigrationStep {
  readonly file: MigrationFile;
  readonly direction: 'up' | 'down';
  /** `performance.now()` when the step began: the recorded duration runs from it. */
  readonly started: number;
}

/**
 * What differs per SQL engine in a migration run: the history table, the lock, the session
 * a run needs, and how a migration runs — on PostgreSQL in one transaction with its record;
 * on MySQL, which commits DDL at once, statement by statement, a failure partway recorded.
 * The `Migrator` holds the rest: files, checksums, order, status.
 */
export interface MigrationEngine {
  readonly history: MigrationHistory;
  /**
   * Readies the session of `db` for a run that changes things (no statement timeout) and
   * takes the migration lock, waiting up to `timeoutMs` (`onWait` names the holder once);
   * resolves to what frees both.
   */
  lock(
    db: Database,
    timeoutMs: number,
    onWait: (holder: string | undefined) => void,
  ): Promise<() => Promise<void>>;
  /** Runs a SQL part and its bookkeeping ({@link finishStep}); `transaction`: the file's marker. */
  runSql(db: Database, step: MigrationStep, part: SqlPart, transaction: boolean): Promise<void>;
  /** Runs a module's `up` or `down` and its bookkeeping; `transaction`: the module's export. */
  runModule(
    db: Database,
    step: MigrationStep,
    transaction: boolean,
    run: (db: DatabaseAdapter) => Promise<void>,
  ): Promise<void>;
}

/** A step's bookkeeping: `up` records the migration, `down` forgets it. */
export function finishStep(
  history: MigrationHistory,
  db: DatabaseAdapter,
  step: MigrationStep,
): Promise<void> {
  return step.direction === 'up'
    ? history.record(db, step.file, performance.now() - step.started)
    : history.remove(db, step.file.id);
}

/**
 * A module's `up` or `down`, then its bookkeeping: both in one transaction when `transaction`
 * (the module's export), else one after the other. Engines wrap its failure their own way.
 */
export async function runModuleStep(
  history: MigrationHistory,
  db: Database,
  step: MigrationStep,
  transaction: boolean,
  run: (db: DatabaseAdapter) => Promise<void>,
): Promise<void> {
  if (transaction) {
    await db.transaction(async (tx) => {
      await run(tx);
      await finishStep(history, tx, step);
    });
  } else {
    await run(db);
    await finishStep(history, db, step);
  }
}
