import { DateTime, RecordId } from 'surrealdb';
import { keyColumnsOf, keyValues } from '../data/entity-keys.js';
import { type FieldCodec, fromDictValue, toDictValue } from '../data/field-codec.js';
import type { Model, ModelColumn, TableModel } from '../data/model.js';
import type { SchemaRegistry } from '../data/schema-registry.js';

type Entity = Record<string, unknown>;
type Doc = Record<string, unknown>;

/** A value SurrealDB returns as the JS value a field holds (datetimes as `Date`). */
function plain(value: unknown): unknown {
  if (value instanceof DateTime) return value.toDate();
  return value;
}

/** A key value as a part of a record id (`person:⟨uuid⟩`, `reading:[1, d"…"]`). */
function idPart(value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}

/** The tables the `belongsTo` fields of `model` link to, by property. */
export function linksOf(
  model: TableModel,
  schema: SchemaRegistry | undefined,
): ReadonlyMap<string, TableModel> {
  const links = new Map<string, TableModel>();
  for (const relation of schema?.relationsOf(model).values() ?? []) {
    if (relation.kind === 'belongsTo') links.set(relation.foreignKey.property, relation.target);
  }
  return links;
}

/** A link's key as the entity holds it: the id of a `RecordId`, or of a fetched record. */
export function linkKey(value: unknown): unknown {
  if (value instanceof RecordId) return plain(value.id);
  if (typeof value === 'object' && value !== null && 'id' in value) return linkKey(value.id);
  return value;
}

/**
 * How entities of one model become SurrealDB records and back. A record's id is
 * `table:⟨key⟩` (`person:⟨uuid⟩`; an array for a composite key); `entityId` is not stored
 * beside it. Fields are stored under their column names (`first_name`), as documents: dates as
 * datetimes, nested models and JSON as objects, a bigint as decimal text, and a `belongsTo`
 * field as a record link (`organization:⟨uuid⟩`) to the entity it names.
 */
export class RecordCodec {
  readonly model: Model;
  readonly table: string;
  readonly #keys: readonly ModelColumn[];
  readonly #entityKey: ModelColumn | undefined;
  readonly #columns: readonly ModelColumn[];
  readonly #links: ReadonlyMap<string, TableModel>;
  readonly #relationNames: readonly string[];

  constructor(model: Model, schema: SchemaRegistry | undefined) {
    this.model = model;
    this.table = model.table;
    this.#keys = keyColumnsOf(model);
    this.#entityKey = this.#keys.find((k) => k.role === 'key');
    this.#columns = model.columns.filter((c) => c.role !== 'key');
    this.#links = linksOf(model, schema);
    this.#relationNames = [...(schema?.relationsOf(model).keys() ?? [])];
  }

  /** The table a `belongsTo` field links to, if it is one. */
  linkOf(column: ModelColumn): TableModel | undefined {
    return this.#links.get(column.property);
  }

  /** Whether the column is the record's id (`entityId`). */
  isId(column: ModelColumn): boolean {
    return column === this.#entityKey || (this.#keys.length === 1 && column === this.#keys[0]);
  }

  /** The record id of an id as `get` takes it (checked: ValidationError `INVALID_KEY`). */
  recordId(id: unknown, path = 'id'): RecordId {
    const values = keyValues(this.#keys, id, path);
    return this.#recordIdOf(values.map((v, i) => this.#keyValue(this.#keys[i] as ModelColumn, v)));
  }

  /** The record id of an entity. */
  recordIdOfEntity(entity: Entity, path = 'entity'): RecordId {
    const id =
      this.#keys.length === 1
        ? entity[(this.#keys[0] as ModelColumn).property]
        : Object.fromEntries(this.#keys.map((k) => [k.property, entity[k.property]]));
    return this.recordId(id, path);
  }

  /** The record id of a key value of another table (a link, an edge end). */
  static linkTo(table: string, key: unknown): RecordId {
    return new RecordId(table, idPart(key) as string);
  }

  #recordIdOf(parts: unknown[]): RecordId {
    const id = parts.length === 1 ? parts[0] : parts.map(idPart);
    return new RecordId(this.table, idPart(id) as string);
  }

  /** `toColumnValue` gave SQL parameters: take back what a document stores. */
  #keyValue(column: ModelColumn, value: unknown): unknown {
    return column.codec.kind === 'bigint' ? String(value) : value;
  }

  /** A field's value as stored. */
  encode(column: ModelColumn, value: unknown): unknown {
    if (value === undefined) return undefined;
    if (value === null) return null;
    const link = this.#links.get(column.property);
    if (link !== undefined) return RecordCodec.linkTo(link.table, value);
    return encodeValue(column.codec, value);
  }

  /** The record of an entity (without its id). */
  toDoc(entity: Entity): Doc {
    const doc: Doc = {};
    for (const c of this.#columns) {
      if (c.role === 'extra') {
        const extra = this.model.extraOf(entity as never);
        for (const name of this.#relationNames) delete extra[name];
        doc[c.column] = extra;
        continue;
      }
      if (c.role === 'computed') {
        let value: unknown = null;
        try {
          value = this.model.options.computed?.[c.property]?.(entity as never) ?? null;
        } catch {
          // A computed value that cannot be computed is stored as null.
        }
        doc[c.column] = value;
        continue;
      }
      const value = this.encode(c, entity[c.property]);
      if (value !== undefined) doc[c.column] = value;
    }
    return doc;
  }

  /** The record with its id, as `CREATE`/`INSERT` take it. */
  toRecord(entity: Entity): Doc {
    return { id: this.recordIdOfEntity(entity), ...this.toDoc(entity) };
  }

  /** The entity a record holds (a new object, the model's properties only). */
  fromDoc(doc: Doc): Entity {
    const entity: Entity = {};
    if (this.#entityKey !== undefined) entity[this.#entityKey.property] = linkKey(doc.id);
    let extra: Doc | undefined;
    for (const c of this.#columns) {
      if (c.role === 'computed') continue;
      const stored = doc[c.column];
      if (c.role === 'extra') {
        extra = stored as Doc | undefined;
        continue;
      }
      const value = this.#links.has(c.property)
        ? decodeLink(c.codec, stored)
        : decodeValue(c.codec, stored);
      if (value !== undefined) entity[c.property] = value;
    }
    for (const [key, value] of Object.entries(extra ?? {})) {
      if (key !== '__proto__' && !Object.hasOwn(entity, key)) entity[key] = value;
    }
    return entity;
  }
}

/** A value of a field (not a link) as a document stores it. */
export function encodeValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (codec.kind) {
    case 'bigint':
      return String(value);
    case 'model':
    case 'model-list':
      return toDictValue(codec, value);
    default:
      return value;
  }
}

/** A stored value as the field's value (`undefined`: leave the property out). */
export function decodeValue(codec: FieldCodec, stored: unknown): unknown {
  if (stored === null || stored === undefined) return codec.nullValue;
  switch (codec.kind) {
    case 'timestamp':
      return plain(stored);
    case 'bigint':
      return BigInt(stored as string);
    case 'bigint-number':
    case 'integer':
    case 'double':
      return typeof stored === 'bigint' ? Number(stored) : stored;
    case 'model':
    case 'model-list':
      return fromDictValue(codec, stored, '');
    default:
      return stored;
  }
}

function decodeLink(codec: FieldCodec, stored: unknown): unknown {
  if (stored === null || stored === undefined) return codec.nullValue;
  return linkKey(stored);
}
