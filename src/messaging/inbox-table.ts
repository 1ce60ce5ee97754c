import type { Database } from '../postgres/database.js';
import { createTable, missingTableError, quoteTableName } from './message-table.js';

/** The inbox table's name unless one is given. */
export const INBOX_TABLE = 'libretto_inbox';

/** The inbox table's name checked (`UsageError` `INVALID_OPTION` naming `where`), and quoted. */
export function quoteInboxTable(where: string, table: string): string {
  return quoteTableName(where, table);
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
export function ensureInboxTable(db: Database, table: string = INBOX_TABLE): Promise<void> {
  return createTable(db, inboxTableStatements(table));
}

/** `error` as `INBOX_TABLE_MISSING` when it says the table does not exist; else itself. */
export function inboxTableError(error: unknown, table: string): unknown {
  return missingTableError(error, table, 'INBOX_TABLE_MISSING', 'inbox', {
    statements: 'inboxTableStatements()',
    ensure: 'ensureInboxTable()',
  });
}
