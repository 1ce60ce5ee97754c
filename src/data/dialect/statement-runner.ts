import type { DatabaseAdapter } from '../../postgres/database-adapter.js';
import type { DialectStatement } from './sql-dialect.js';

type Row = Record<string, unknown>;

// A statement of one text whose placeholders are its arguments in order (every PostgreSQL
// statement) goes straight to the adapter: the seam costs a property check per call.

function bind(statement: DialectStatement, args: readonly unknown[]): readonly unknown[] {
  const { slots } = statement;
  return slots === undefined ? args : slots.map((i) => args[i]);
}

/** Runs the steps of a compound statement in one transaction; `last` runs the final one. */
function steps<T>(
  db: DatabaseAdapter,
  statement: DialectStatement,
  args: readonly unknown[],
  last: (tx: DatabaseAdapter, step: DialectStatement) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const all = [statement, ...(statement.followedBy ?? [])];
    for (const step of all.slice(0, -1)) await tx.execute(step.text, bind(step, args));
    return last(tx, all[all.length - 1] as DialectStatement);
  });
}

/** The rows a statement returns. */
export function fetchRows<R = Row>(
  db: DatabaseAdapter,
  statement: DialectStatement,
  args: readonly unknown[],
): Promise<R[]> {
  if (statement.followedBy === undefined) return db.fetch<R>(statement.text, bind(statement, args));
  return steps(db, statement, args, (tx, step) => tx.fetch<R>(step.text, bind(step, args)));
}

/** The first row a statement returns, or undefined. */
export function fetchRow<R = Row>(
  db: DatabaseAdapter,
  statement: DialectStatement,
  args: readonly unknown[],
): Promise<R | undefined> {
  if (statement.followedBy === undefined) return oneRow<R>(db, statement, args);
  return steps(db, statement, args, (tx, step) => oneRow<R>(tx, step, args));
}

function oneRow<R>(
  db: DatabaseAdapter,
  statement: DialectStatement,
  args: readonly unknown[],
): Promise<R | undefined> {
  if (statement.rowWhenWritten !== true)
    return db.fetchOne<R>(statement.text, bind(statement, args));
  return db
    .execute(statement.text, bind(statement, args))
    .then((n) => (n > 0 ? ({} as R) : undefined));
}

/** The first column of the first row a statement returns, or undefined. */
export function fetchValue<V = unknown>(
  db: DatabaseAdapter,
  statement: DialectStatement,
  args: readonly unknown[],
): Promise<V | undefined> {
  if (statement.followedBy === undefined)
    return db.fetchVal<V>(statement.text, bind(statement, args));
  return steps(db, statement, args, (tx, step) => tx.fetchVal<V>(step.text, bind(step, args)));
}

/** The number of rows a statement (its last step) wrote. */
export function executeCount(
  db: DatabaseAdapter,
  statement: DialectStatement,
  args: readonly unknown[],
): Promise<number> {
  if (statement.followedBy === undefined) return db.execute(statement.text, bind(statement, args));
  return steps(db, statement, args, (tx, step) => tx.execute(step.text, bind(step, args)));
}
