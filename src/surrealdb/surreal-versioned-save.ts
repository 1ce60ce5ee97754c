import { randomUUID } from 'node:crypto';
import { checkKey, keyColumnsOf } from '../data/entity-keys.js';
import { type Model, type ModelColumn, unsaved } from '../data/model.js';
import type { RowValues } from '../data/row-values.js';
import { markReplaced, staleSave } from '../data/save-outcomes.js';
import { field } from './surreal-conditions.js';
import type { SurrealDatabase } from './surreal-database.js';
import { decodeValue, type RecordCodec } from './surreal-records.js';

type Entity = Record<string, unknown>;

/** `CREATE <audit>:⟨version⟩ SET …` of the version `$b` held, or '' without audit. */
export function auditCopy(model: Model): string {
  if (model.auditTable === undefined) return '';
  const sets = model.columns
    .filter((c) => c.role !== 'key')
    .map((c) => `${field(c.column)} = $b.${field(c.column)}`);
  sets.unshift('entity_id = $key');
  return `CREATE type::record('${model.auditTable}', $b.version) SET ${sets.join(', ')} RETURN NONE;`;
}

/**
 * Saves of a versioned model, each one SurrealQL block (atomic): the stored record is replaced
 * only if it holds the version the entity was read at (`UPDATE … WHERE version = $read`), and
 * the version it held is copied to `<table>_audit` in the same block. When nothing was written,
 * a probe tells an entity never saved (inserted) from a stale or deleted one (ConflictError
 * `STALE_VERSION` / `ENTITY_DELETED` / `OUT_OF_DATE_COPY`).
 */
export class SurrealVersionedSave {
  readonly #model: Model;
  readonly #codec: RecordCodec;
  readonly #db: SurrealDatabase;
  readonly #rows: RowValues;
  readonly #failed: (error: unknown) => never;
  readonly #key: ModelColumn;
  readonly #version: ModelColumn;
  readonly #update: string;
  readonly #probe: string;
  readonly #insert: string;

  constructor(
    model: Model,
    codec: RecordCodec,
    db: SurrealDatabase,
    rows: RowValues,
    failed: (error: unknown) => never,
  ) {
    this.#model = model;
    this.#codec = codec;
    this.#db = db;
    this.#rows = rows;
    this.#failed = failed;
    this.#key = keyColumnsOf(model)[0] as ModelColumn;
    this.#version = model.column('version') as ModelColumn;
    const keepCreated = model.flags.timestamps
      ? 'UPDATE $id SET created_at = $b.created_at RETURN NONE;'
      : '';
    this.#update =
      '{ LET $b = (UPDATE ONLY $id CONTENT $doc WHERE version = $read RETURN BEFORE); ' +
      `IF $b { ${auditCopy(model)} ${keepCreated} }; ` +
      'RETURN { written: IF $b { true } ELSE { false }, created: $b.created_at }; }';
    const gone =
      model.auditTable === undefined
        ? 'false'
        : `count((SELECT id FROM ${field(model.auditTable)} WHERE entity_id = $key LIMIT 1)) > 0`;
    this.#probe = `RETURN { stored: (SELECT VALUE version FROM ONLY $id), gone: ${gone} }`;
    this.#insert = 'CREATE $id CONTENT $doc RETURN NONE';
  }

  /** Saves the entity as its next version (or its first); `origin` is the object the caller holds. */
  async save(record: Entity, by: string | null, origin: object = record): Promise<Entity> {
    const { entityId, version } = record;
    checkKey(this.#key, entityId, 'entityId');
    checkKey(this.#version, version, 'version');
    const now = new Date();
    if (unsaved.has(record)) return this.insert(record, now, by);
    const written = randomUUID();
    const next = this.#next(record, version, written, now, by);
    const outcome = await this.#write(next, version);
    if (outcome.written) return this.#saved(origin, next, outcome.created);
    return this.#unwritten(record, now, by, origin);
  }

  /** Inserts the first stored version of an entity (as it is, stamped now). */
  async insert(record: Entity, now: Date, by: string | null): Promise<Entity> {
    const saved: Entity = { ...record, changedOn: now, changedById: by };
    if (this.#model.flags.timestamps) {
      saved.createdAt = now;
      saved.updatedAt = now;
    }
    await this.#db
      .write(this.#insert, {
        id: this.#codec.recordIdOfEntity(saved),
        doc: this.#codec.toDoc(saved),
      })
      .catch(this.#failed);
    unsaved.delete(record);
    return saved;
  }

  #next(record: Entity, read: unknown, written: unknown, now: Date, by: string | null): Entity {
    const next = this.#rows.stamped(
      { ...record, version: written, previousVersion: read, changedOn: now, changedById: by },
      now,
      by,
      false,
    );
    return next;
  }

  async #write(next: Entity, read: unknown): Promise<{ written: boolean; created: unknown }> {
    const [result] = await this.#db
      .write<[{ written: boolean; created: unknown }]>(this.#update, {
        id: this.#codec.recordIdOfEntity(next),
        key: next.entityId,
        read,
        doc: this.#codec.toDoc(next),
      })
      .catch(this.#failed);
    return result;
  }

  #saved(origin: object, next: Entity, created: unknown): Entity {
    markReplaced(origin, next.version);
    if (this.#model.flags.timestamps) {
      next.createdAt = decodeValue((this.#model.column('createdAt') as ModelColumn).codec, created);
    }
    return next;
  }

  /** Nothing written: a new entity, a deleted one, one already prepared, or a stale one. */
  async #unwritten(record: Entity, now: Date, by: string | null, origin: object): Promise<Entity> {
    const [probe] = await this.#db.query<[{ stored: string | null; gone: boolean }]>(this.#probe, {
      id: this.#codec.recordIdOfEntity(record),
      key: record.entityId,
    });
    const stored = probe?.stored ?? null;
    if (stored === null && probe?.gone !== true) return this.insert(record, now, by);
    const previous = record.previousVersion;
    if (stored !== null && stored === previous) {
      // Rotated by prepareForSave: the stored version is the one it was prepared from.
      const again = this.#next(record, previous, record.version, now, by);
      const outcome = await this.#write(again, previous);
      if (outcome.written) return this.#saved(origin, again, outcome.created);
    }
    throw staleSave(this.#model.name, record, stored, origin);
  }
}
