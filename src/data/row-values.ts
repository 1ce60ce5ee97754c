import { toColumnValue, toJsonColumnValue } from './field-codec.js';
import type { Model, ModelColumn } from './model.js';
import type { SchemaRegistry } from './schema-registry.js';

type Entity = Record<string, unknown>;

/**
 * What an entity writes to its row: each column's parameter value, the stamps a save sets,
 * the extra fields (without relations loaded onto the entity) and stored computed values.
 */
export class RowValues {
  readonly #model: Model;
  readonly #schema: SchemaRegistry | undefined;

  constructor(model: Model, schema: SchemaRegistry | undefined) {
    this.#model = model;
    this.#schema = schema;
  }

  /** A column's parameter value for an entity. */
  column(c: ModelColumn, entity: Entity): unknown {
    if (c.role === 'extra' || c.role === 'computed') {
      const value = this.#derived(c, entity);
      return value === null ? null : JSON.stringify(value);
    }
    return toColumnValue(c.codec, entity[c.property]);
  }

  /** Every column's parameter value, in `model.columns` order. */
  all(entity: Entity): unknown[] {
    return this.#model.columns.map((c) => this.column(c, entity));
  }

  /** A row as an object keyed by column name, its values as in a JSON document (bulk insert). */
  json(entity: Entity): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const c of this.#model.columns) {
      record[c.column] =
        c.role === 'extra' || c.role === 'computed'
          ? this.#derived(c, entity)
          : toJsonColumnValue(c.codec, entity[c.property]);
    }
    return record;
  }

  /** The entity with what a save sets: timestamps; for an insert of a versioned one, its stamp. */
  stamped(entity: Entity, now: Date, by: string | null, insert: boolean): Entity {
    const out: Entity = { ...entity };
    if (this.#model.flags.timestamps) {
      if (insert || out.createdAt === undefined) out.createdAt = now;
      out.updatedAt = now;
    }
    if (this.#model.flags.versioned && insert) {
      out.changedOn = now;
      out.changedById = by;
    }
    return out;
  }

  /** The extra fields, or a computed value (null when it cannot be computed). */
  #derived(c: ModelColumn, entity: Entity): unknown {
    if (c.role === 'extra') {
      const extra = this.#model.extraOf(entity as never);
      for (const name of this.#schema?.relationsOf(this.#model).keys() ?? []) delete extra[name];
      return extra;
    }
    try {
      return this.#model.options.computed?.[c.property]?.(entity as never) ?? null;
    } catch {
      return null;
    }
  }
}
