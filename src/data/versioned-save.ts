import { randomUUID } from 'node:crypto';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import type { ConstraintErrors } from './constraint-errors.js';
import {
  type DialectStatement,
  type SqlDialect,
  versionedDataColumns,
} from './dialect/sql-dialect.js';
import { executeCount, fetchRow } from './dialect/statement-runner.js';
import { checkKey, keyColumnsOf } from './entity-keys.js';
import { type Model, type ModelColumn, unsaved } from './model.js';
import type { RowValues } from './row-values.js';
import { markReplaced, staleSave } from './save-outcomes.js';

type Entity = Record<string, unknown>;

/**
 * Saves of a versioned model. An entity from `create` is inserted. Any other is updated in
 * one statement (PostgreSQL) that locks the stored row and, if it is the version the entity
 * was read at, copies it to the audit table and writes the next version; when that writes
 * nothing, a probe tells an entity never saved (inserted) from a stale or deleted one
 * (ConflictError `STALE_VERSION` / `ENTITY_DELETED`). Statements are written on first use.
 */
export class VersionedSave {
  readonly #model: Model;
  readonly #dialect: SqlDialect;
  readonly #db: DatabaseAdapter;
  readonly #rows: RowValues;
  readonly #violations: ConstraintErrors;
  readonly #key: ModelColumn;
  readonly #version: ModelColumn;
  readonly #dataColumns: readonly ModelColumn[];
  #update: DialectStatement | undefined;
  #insert: DialectStatement | undefined;
  #probe: DialectStatement | undefined;

  constructor(
    model: Model,
    dialect: SqlDialect,
    db: DatabaseAdapter,
    rows: RowValues,
    violations: ConstraintErrors,
  ) {
    this.#model = model;
    this.#violations = violations;
    this.#dialect = dialect;
    this.#db = db;
    this.#rows = rows;
    this.#key = keyColumnsOf(model)[0] as ModelColumn;
    this.#version = model.column('version') as ModelColumn;
    this.#dataColumns = versionedDataColumns(model);
  }

  /**
   * Saves the entity as its next version (or its first); returns it as saved. `origin` is the
   * object the caller holds, when `record` is a copy of it (a delete's inactive version).
   */
  save(record: Entity, by: string | null, origin: object = record): Promise<Entity> {
    const { entityId, version } = record;
    const now = new Date();
    const values: unknown[] = [entityId, version, randomUUID(), now, by];
    try {
      checkKey(this.#key, entityId, 'entityId');
      checkKey(this.#version, version, 'version');
      if (unsaved.has(record)) return this.insert(record, now, by);
      for (const c of this.#dataColumns) values.push(this.#rows.column(c, record));
    } catch (error) {
      return Promise.reject(error);
    }
    this.#update ??= this.#dialect.versionedUpdate(this.#model);
    return fetchRow<{ created?: unknown }>(this.#db, this.#update, values).then(
      (row) =>
        row === undefined
          ? this.#unwritten(record, values, now, by, origin)
          : this.#saved(origin, record, row, version, values[2], now, by),
      this.#violations.saveFailed,
    );
  }

  /** Inserts the first stored version of an entity (as it is, stamped now). */
  async insert(record: Entity, now: Date, by: string | null): Promise<Entity> {
    const saved: Entity = { ...record, changedOn: now, changedById: by };
    if (this.#model.flags.timestamps) {
      saved.createdAt = now;
      saved.updatedAt = now;
    }
    this.#insert ??= this.#dialect.insert(this.#model);
    await executeCount(this.#db, this.#insert, this.#rows.all(saved)).catch(
      this.#violations.saveFailed,
    );
    unsaved.delete(record);
    return saved;
  }

  #saved(
    origin: object,
    record: Entity,
    row: { created?: unknown },
    read: unknown,
    written: unknown,
    now: Date,
    by: string | null,
  ): Entity {
    markReplaced(origin, written);
    const out: Entity = {
      ...record,
      version: written,
      previousVersion: read,
      changedOn: now,
      changedById: by,
    };
    if (this.#model.flags.timestamps) {
      out.createdAt = row.created;
      out.updatedAt = now;
    }
    return out;
  }

  /** Nothing written: a new entity, a deleted one, one already prepared, or a stale one. */
  async #unwritten(
    record: Entity,
    values: unknown[],
    now: Date,
    by: string | null,
    origin: object,
  ): Promise<Entity> {
    const { entityId, version } = record;
    this.#probe ??= this.#dialect.versionProbe(this.#model);
    const probe = await fetchRow<{ stored: string | null; gone: boolean | number }>(
      this.#db,
      this.#probe,
      [entityId],
    );
    const stored = probe?.stored ?? null;
    // `gone` is a boolean on PostgreSQL; 1 or 0 where booleans are numbers (MySQL).
    const gone = probe?.gone === true || probe?.gone === 1;
    if (stored === null && !gone) return this.insert(record, now, by);
    const previous = record.previousVersion;
    if (stored !== null && stored === previous && this.#update !== undefined) {
      // Rotated by prepareForSave: the stored version is the one it was prepared from.
      const again = await fetchRow<{ created?: unknown }>(this.#db, this.#update, [
        entityId,
        previous,
        version,
        ...values.slice(3),
      ]).catch(this.#violations.saveFailed);
      if (again !== undefined) {
        return this.#saved(origin, record, again, previous, version, now, by);
      }
    }
    throw staleSave(this.#model.name, record, stored, origin);
  }
}
