import { type FieldCodec, fromDictValue, toDictValue } from '../data/field-codec.js';
import type { Model, ModelColumn } from '../data/model.js';
import type { SchemaRegistry } from '../data/schema-registry.js';

/** An item as the document client takes and gives it: attributes by column name. */
export type Item = Record<string, unknown>;
type Entity = Record<string, unknown>;

/**
 * A field's value as an attribute value (the document client marshals it); undefined for
 * null: an absent attribute, so `isNull` is `attribute_not_exists` and sparse indexes skip it.
 * Dates are ISO 8601 text (UTC, fixed width: ordered as text as in time), bigints exact
 * numbers, nested models and JSON maps and lists.
 */
export function attributeValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (codec.kind) {
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : value;
    case 'model':
    case 'model-list':
      return toDictValue(codec, value);
    case 'json':
      // As JSON text would hold it (dates as text, no undefined), also inside maps.
      return typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
    default:
      return value;
  }
}

/** An attribute value back as the field's value; undefined: leave the property out. */
export function fieldValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return codec.nullValue;
  switch (codec.kind) {
    case 'timestamp':
      return new Date(value as string);
    case 'bigint':
      return BigInt(value as number | bigint);
    case 'integer':
    case 'bigint-number':
    case 'double':
      return Number(value);
    case 'model':
    case 'model-list':
      return fromDictValue(codec, value, '');
    default:
      return value;
  }
}

/** Numbers as the document client reads them: exact, a bigint beyond the safe integers. */
export function readNumber(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) || !/^-?\d+$/.test(text) ? n : BigInt(text);
}

/**
 * A model's entities as items and back: one attribute per column (snake_case, as the SQL
 * tables name them), the extra fields in one map, stored computed values in their own.
 */
export class ItemCodec {
  readonly #model: Model;
  readonly #schema: SchemaRegistry | undefined;
  readonly #write: readonly ModelColumn[];
  readonly #read: readonly ModelColumn[];
  readonly #extra: ModelColumn | undefined;

  constructor(model: Model, schema: SchemaRegistry | undefined) {
    this.#model = model;
    this.#schema = schema;
    this.#write = model.columns;
    this.#read = model.columns.filter((c) => c.role !== 'computed' && c.role !== 'extra');
    this.#extra = model.columns.find((c) => c.role === 'extra');
  }

  /** The item of an entity. */
  toItem(entity: Entity): Item {
    const item: Item = {};
    for (const c of this.#write) {
      const value =
        c.role === 'extra' || c.role === 'computed'
          ? this.#derived(c, entity)
          : attributeValue(c.codec, entity[c.property]);
      if (value !== undefined) item[c.column] = value;
    }
    return item;
  }

  /** The entity an item holds: a new object with the model's properties, in column order. */
  fromItem(item: Item): Entity {
    const entity: Entity = {};
    for (const c of this.#read) {
      const value = fieldValue(c.codec, item[c.column]);
      if (value !== undefined) entity[c.property] = value;
    }
    if (this.#extra !== undefined) {
      const extra = item[this.#extra.column] as Record<string, unknown> | undefined;
      for (const [key, value] of Object.entries(extra ?? {})) {
        if (key !== '__proto__' && !Object.hasOwn(entity, key)) entity[key] = value;
      }
    }
    return entity;
  }

  #derived(c: ModelColumn, entity: Entity): unknown {
    if (c.role === 'extra') {
      const extra = this.#model.extraOf(entity as never);
      for (const name of this.#schema?.relationsOf(this.#model).keys() ?? []) delete extra[name];
      return Object.keys(extra).length === 0 ? undefined : attributeValue(c.codec, extra);
    }
    try {
      const value = this.#model.options.computed?.[c.property]?.(entity as never);
      return value === null || value === undefined ? undefined : attributeValue(c.codec, value);
    } catch {
      return undefined;
    }
  }
}
