import type { Database } from '../postgres/database.js';
import { createTable, missingTableError, quoteTableName } from './message-table.js';

/** The outbox table's name unless one is given. */
export const OUTBOX_TABLE = 'libretto_outbox';

/** The outbox table's name checked (`UsageError` `INVALID_OPTION` naming `where`), and quoted. */
export function quoteOutboxTable(where: string, table: string): string {
  return quoteTableName(where, table);
}

/** The channel the outbox of `table` notifies on: its name with `_` for the dot. */
export function outboxChannel(table: string): string {
  return table.replace('.', '_');
}

/**
 * The statements that create the outbox table and its indexes (idempotent), for a migration
 * (`libretto migrate new create_outbox`, then paste them into its up part) or for
 * {@link ensureOutboxTable}. `id` is the order of the messages; `next_attempt_at` is when a
 * row whose publish failed may be tried again.
 *
 * @example
 * for (const statement of outboxTableStatements()) console.log(`${statement};`);
 */
export function outboxTableStatements(table: string = OUTBOX_TABLE): string[] {
  const t = quoteOutboxTable('outboxTableStatements', table);
  const base = table.split('.').at(-1) as string;
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id text NOT NULL,
  queue text NOT NULL,
  key text,
  type text,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now()
)`,
    // What the relay claims, and the check that no earlier message of a key is pending.
    `CREATE INDEX IF NOT EXISTS "${base}_pending" ON ${t} (id) WHERE published_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS "${base}_pending_key" ON ${t} (key, id) WHERE published_at IS NULL`,
    // What the purge deletes.
    `CREATE INDEX IF NOT EXISTS "${base}_published" ON ${t} (published_at) WHERE published_at IS NOT NULL`,
  ];
}

/** Creates the outbox table unless it exists (tests, small apps; else a migration). */
export function ensureOutboxTable(db: Database, table: string = OUTBOX_TABLE): Promise<void> {
  return createTable(db, outboxTableStatements(table));
}

/** `error` as `OUTBOX_TABLE_MISSING` when it says the table does not exist; else itself. */
export function outboxTableError(error: unknown, table: string): unknown {
  return missingTableError(error, table, 'OUTBOX_TABLE_MISSING', 'outbox', {
    statements: 'outboxTableStatements()',
    ensure: 'Outbox.ensureTable()',
  });
}
