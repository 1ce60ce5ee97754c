import { InvalidOperationError } from '../errors/application-errors.js';
import type { Database } from '../postgres/database.js';
import { sqlState } from '../postgres/error-mapping.js';
import { quoteOutboxTable } from './outbox-table.js';

/** The inbox table's name unless one is given. */
export const INBOX_TABLE = 'libretto_inbox';

/** The inbox table's name checked (`UsageError` `INVALID_OPTION` naming `where`), and quoted. */
export function quoteInboxTable(where: string, table: string): string {
  // The same rule as the outbox's: plain identifiers, optionally schema-qualified.
  return quoteOutboxTable(where, table);
}

/**
 * The statements that create the inbox table (idempotent), for a migration (paste them into
 * its up part) or for {@link ensureInboxTable}. One row per message a consumer handled:
 * keyed by the consumer's name and the message id, so a second delivery finds it.
 *
 * @example
 * for (const statement of inboxTableStatements()) console.log(`${statement};`);
 */
export function inboxTableStatements(table: string = INBOX_TABLE): string[] {
  const t = quoteInboxTable('inboxTableStatements', table);
  const base = table.split('.').at(-1) as string;
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
  consumer text NOT NULL,
  message_id text NOT NULL,
  queue text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
)`,
    // What the purge deletes.
    `CREATE INDEX IF NOT EXISTS "${base}_received" ON ${t} (consumer, received_at)`,
  ];
}

/** Creates the inbox table unless it exists (tests, small apps; else a migration). */
export async function ensureInboxTable(db: Database, table: string = INBOX_TABLE): Promise<void> {
  const statements = inboxTableStatements(table);
  await db.transaction(async () => {
    for (const statement of statements) await db.execute(statement);
  });
}

/** `error` as `INBOX_TABLE_MISSING` when it says the table does not exist; else itself. */
export function inboxTableError(error: unknown, table: string): unknown {
  if (sqlState(error) !== '42P01' && sqlState((error as { cause?: unknown })?.cause) !== '42P01') {
    return error;
  }
  return new InvalidOperationError(
    `The inbox table "${table}" does not exist: create it with a migration (inboxTableStatements()) or ensureInboxTable()`,
    { code: 'INBOX_TABLE_MISSING', details: [{ table }], cause: error },
  );
}
