import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import {
  type AppliedMigration,
  MIGRATIONS_TABLE,
  type MigrationFailure,
  type MigrationHistory,
  tableNameParts,
} from './migration-history.js';

interface HistoryRow {
  id: string;
  name: string;
  checksum: string;
  applied_at: Date | string;
  duration_ms: number;
  failed_at: Date | string | null;
  failed_part: 'up' | 'down' | null;
  statements_applied: number | null;
}

/**
 * The table of applied migrations on MySQL and MariaDB. MySQL commits DDL at once, so a
 * migration cannot commit together with its record: a row is written after the last
 * statement succeeds, and one that failed partway is recorded as failed (`failed_at`, the
 * part, `statements_applied`) until `repair` removes it.
 */
export class MysqlMigrationHistory implements MigrationHistory {
  readonly #table: string;
  readonly #name: string;
  readonly #schema: string | undefined;
  readonly #bare: string;

  /** `table`: a lower-case identifier, optionally database-qualified (`ops.migrations`). */
  constructor(table: string = MIGRATIONS_TABLE) {
    const parts = tableNameParts(table);
    this.#name = table;
    this.#table = parts.map((p) => `\`${p}\``).join('.');
    this.#schema = parts.length === 2 ? parts[0] : undefined;
    this.#bare = parts.at(-1) as string;
  }

  get name(): string {
    return this.#name;
  }

  /** The database the table is in: its qualifier, else the session's. */
  async database(db: DatabaseAdapter): Promise<string> {
    return this.#schema ?? (await db.fetchVal<string>('SELECT DATABASE()')) ?? '';
  }

  async ensure(db: DatabaseAdapter): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (id VARCHAR(64) NOT NULL PRIMARY KEY, ` +
        'name VARCHAR(255) NOT NULL, checksum VARCHAR(64) NOT NULL, ' +
        'applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), duration_ms INT NOT NULL, ' +
        'seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE, failed_at DATETIME(3) NULL, ' +
        'failed_part VARCHAR(4) NULL, statements_applied INT NULL) ' +
        'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
    );
  }

  async read(db: DatabaseAdapter): Promise<AppliedMigration[]> {
    const exists = await db.fetchVal(
      'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?',
      [this.#schema ?? null, this.#bare],
    );
    if (exists === undefined) return [];
    const rows = await db.fetch<HistoryRow>(
      'SELECT id, name, checksum, applied_at, duration_ms, failed_at, failed_part, statements_applied ' +
        `FROM ${this.#table} ORDER BY seq`,
    );
    return rows.map((r) => {
      const failure: MigrationFailure | undefined =
        r.failed_at === null
          ? undefined
          : {
              part: r.failed_part === 'down' ? 'down' : 'up',
              statementsApplied: r.statements_applied ?? undefined,
              at: new Date(r.failed_at),
            };
      return {
        id: r.id,
        name: r.name,
        checksum: r.checksum,
        appliedAt: new Date(r.applied_at),
        durationMs: Number(r.duration_ms),
        ...(failure === undefined ? {} : { failure }),
      };
    });
  }

  async record(
    db: DatabaseAdapter,
    m: { id: string; name: string; checksum: string },
    durationMs: number,
  ): Promise<void> {
    await db.execute(
      `INSERT INTO ${this.#table} (id, name, checksum, duration_ms) VALUES (?, ?, ?, ?)`,
      [m.id, m.name, m.checksum, Math.round(durationMs)],
    );
  }

  /**
   * A migration failed partway: its up part is recorded as failed, or its applied record is
   * marked failed in its down part. `statementsApplied`: undefined when not known.
   */
  async recordFailure(
    db: DatabaseAdapter,
    m: { id: string; name: string; checksum: string },
    part: 'up' | 'down',
    statementsApplied: number | undefined,
    durationMs: number,
  ): Promise<void> {
    const applied = statementsApplied ?? null;
    if (part === 'up') {
      await db.execute(
        `INSERT INTO ${this.#table} (id, name, checksum, duration_ms, failed_at, failed_part, statements_applied) ` +
          "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP(3), 'up', ?)",
        [m.id, m.name, m.checksum, Math.round(durationMs), applied],
      );
    } else {
      await db.execute(
        `UPDATE ${this.#table} SET failed_at = CURRENT_TIMESTAMP(3), failed_part = 'down', ` +
          'statements_applied = ? WHERE id = ?',
        [applied, m.id],
      );
    }
  }

  async remove(db: DatabaseAdapter, id: string): Promise<void> {
    await db.execute(`DELETE FROM ${this.#table} WHERE id = ?`, [id]);
  }

  async updateChecksum(db: DatabaseAdapter, id: string, checksum: string): Promise<void> {
    await db.execute(`UPDATE ${this.#table} SET checksum = ? WHERE id = ?`, [checksum, id]);
  }
}
