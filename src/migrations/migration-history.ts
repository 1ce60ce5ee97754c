import { UsageError } from '../errors/usage-error.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';

/**
 * How a migration failed partway, on an engine that commits each statement (MySQL): part of
 * it stays applied until someone finishes or undoes it by hand and runs `repair`.
 */
export interface MigrationFailure {
  /** The part that failed. */
  readonly part: 'up' | 'down';
  /** How many of its statements were applied and committed; undefined when not known (a module). */
  readonly statementsApplied: number | undefined;
  readonly at: Date;
}

/** A migration recorded as applied (or, on MySQL, as failed partway). */
export interface AppliedMigration {
  readonly id: string;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly durationMs: number;
  /** Set when the migration failed partway (MySQL only); `up` and `down` refuse to run. */
  readonly failure?: MigrationFailure | undefined;
}

/** The default name of the table that records applied migrations. */
export const MIGRATIONS_TABLE = 'libretto_migrations';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The parts of a migrations table's name (`table` or `schema.table`), or UsageError. */
export function tableNameParts(table: string): string[] {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new UsageError(
      `Migrations table "${table}": lower-case letters, digits and _, optionally schema.table`,
      { code: 'INVALID_OPTION', details: [{ path: 'table', message: 'not a plain identifier' }] },
    );
  }
  return parts;
}

/**
 * The table of applied migrations, one row per migration; `seq` keeps the order they were
 * applied in, which `down` reverts. One per engine: the DDL and the queries differ.
 */
export interface MigrationHistory {
  /** The table's name as given. */
  readonly name: string;
  /** Creates the table unless it exists (run under the migration lock). */
  ensure(db: DatabaseAdapter): Promise<void>;
  /** The recorded migrations in the order they were applied; none while the table is absent. */
  read(db: DatabaseAdapter): Promise<AppliedMigration[]>;
  record(
    db: DatabaseAdapter,
    m: { id: string; name: string; checksum: string },
    durationMs: number,
  ): Promise<void>;
  remove(db: DatabaseAdapter, id: string): Promise<void>;
  updateChecksum(db: DatabaseAdapter, id: string, checksum: string): Promise<void>;
}

/** `'text'`, for the values of a history statement written as text (ids, names, checksums). */
export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
