import { InvalidOperationError } from '../errors/application-errors.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { invalidOption } from '../errors/invalid-option.js';
import type { Database } from '../postgres/database.js';
import { sqlState } from '../postgres/error-mapping.js';

// `table` or `schema.table`, plain identifiers only: the name is spliced into statements.
const NAME = /^(?:[a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

/**
 * The name of a table of the messaging layer (outbox, inbox) checked (`UsageError`
 * `INVALID_OPTION` naming `where`), and quoted.
 */
export function quoteTableName(where: string, table: string): string {
  if (typeof table !== 'string' || !NAME.test(table)) {
    invalidOption(
      where,
      'table',
      `"${String(table)}" must be a lower-case identifier, optionally schema-qualified`,
    );
  }
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** Runs a table's idempotent statements in one transaction (tests, small apps; else a migration). */
export async function createTable(db: Database, statements: readonly string[]): Promise<void> {
  await db.transaction(async () => {
    for (const statement of statements) await db.execute(statement);
  });
}

/**
 * `error` as an `InvalidOperationError` with `code` when it (or its cause) says the table
 * does not exist (SQLSTATE 42P01), naming the table and how to create it; else itself.
 */
export function missingTableError(
  error: unknown,
  table: string,
  code: ErrorCode,
  what: string,
  /** The function giving its statements, and the one creating it (`ensureInboxTable()`). */
  create: { readonly statements: string; readonly ensure: string },
): unknown {
  if (sqlState(error) !== '42P01' && sqlState((error as { cause?: unknown })?.cause) !== '42P01') {
    return error;
  }
  return new InvalidOperationError(
    `The ${what} table "${table}" does not exist: create it with a migration (${create.statements}) or ${create.ensure}`,
    { code, details: [{ table }], cause: error },
  );
}
