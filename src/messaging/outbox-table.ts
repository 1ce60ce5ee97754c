import { InvalidOperationError } from '../errors/application-errors.js';
import { invalidOption } from '../errors/invalid-option.js';
import type { Database } from '../postgres/database.js';
import { sqlState } from '../postgres/error-mapping.js';

/** The outbox table's name unless one is given. */
export const OUTBOX_TABLE = 'libretto_outbox';

// `table` or `schema.table`, plain identifiers only: the name is spliced into statements.
const NAME = /^(?:[a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

/** The outbox table's name checked (`UsageError` `INVALID_OPTION` naming `where`), and quoted. */
export function quoteOutboxTable(where: string, table: string): string {
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
export async function ensureOutboxTable(db: Database, table: string = OUTBOX_TABLE): Promise<void> {
  const statements = outboxTableStatements(table);
  await db.transaction(async () => {
    for (const statement of statements) await db.execute(statement);
  });
}

/** `error` as `OUTBOX_TABLE_MISSING` when it says the table does not exist; else itself. */
export function outboxTableError(error: unknown, table: string): unknown {
  if (sqlState(error) !== '42P01' && sqlState((error as { cause?: unknown })?.cause) !== '42P01') {
    return error;
  }
  return new InvalidOperationError(
    `The outbox table "${table}" does not exist: create it with a migration (outboxTableStatements()) or Outbox.ensureTable()`,
    { code: 'OUTBOX_TABLE_MISSING', details: [{ table }], cause: error },
  );
}
