import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import {
  type AppliedMigration,
  literal,
  MIGRATIONS_TABLE,
  type MigrationHistory,
  tableNameParts,
} from './migration-history.js';

/**
 * The table of applied migrations on PostgreSQL, one row per migration, written in the
 * migration's own transaction (so a migration and its record commit together or not at all).
 */
export class PostgresMigrationHistory implements MigrationHistory {
  readonly #table: string;
  readonly #name: string;

  /** `table`: a lower-case identifier, optionally schema-qualified (`ops.migrations`). */
  constructor(table: string = MIGRATIONS_TABLE) {
    const parts = tableNameParts(table);
    this.#name = table;
    this.#table = parts.map((p) => `"${p}"`).join('.');
  }

  /** The table's name as given. */
  get name(): string {
    return this.#name;
  }

  /** Creates the table unless it exists (run under the migration lock). */
  async ensure(db: DatabaseAdapter): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (id text PRIMARY KEY, name text NOT NULL, ` +
        'checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), ' +
        'duration_ms integer NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY)',
    );
  }

  /** The applied migrations in the order they were applied; none while the table is absent. */
  async read(db: DatabaseAdapter): Promise<AppliedMigration[]> {
    const exists = await db.fetchVal<boolean>('SELECT to_regclass($1) IS NOT NULL', [this.#table]);
    if (exists !== true) return [];
    const rows = await db.fetch<{
      id: string;
      name: string;
      checksum: string;
      applied_at: Date | string;
      duration_ms: number;
    }>(`SELECT id, name, checksum, applied_at, duration_ms FROM ${this.#table} ORDER BY seq`);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      checksum: r.checksum,
      appliedAt: r.applied_at instanceof Date ? r.applied_at : new Date(r.applied_at),
      durationMs: r.duration_ms,
    }));
  }

  async record(
    db: DatabaseAdapter,
    m: { id: string; name: string; checksum: string },
    durationMs: number,
  ): Promise<void> {
    await db.execute(
      `INSERT INTO ${this.#table} (id, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)`,
      [m.id, m.name, m.checksum, Math.round(durationMs)],
    );
  }

  /**
   * `record` as SQL text, for a migration's one-round-trip script: the duration is the
   * transaction's (`clock_timestamp() - now()`). The values are an id of digits, a name of
   * letters, digits, _ and -, and a hex checksum, quoted all the same.
   */
  recordStatement(m: { id: string; name: string; checksum: string }): string {
    return (
      `INSERT INTO ${this.#table} (id, name, checksum, duration_ms) VALUES ` +
      `(${literal(m.id)}, ${literal(m.name)}, ${literal(m.checksum)}, ` +
      '(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer)'
    );
  }

  /** `remove` as SQL text. */
  removeStatement(id: string): string {
    return `DELETE FROM ${this.#table} WHERE id = ${literal(id)}`;
  }

  async remove(db: DatabaseAdapter, id: string): Promise<void> {
    await db.execute(`DELETE FROM ${this.#table} WHERE id = $1`, [id]);
  }

  async updateChecksum(db: DatabaseAdapter, id: string, checksum: string): Promise<void> {
    await db.execute(`UPDATE ${this.#table} SET checksum = $2 WHERE id = $1`, [id, checksum]);
  }
}
