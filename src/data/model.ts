import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors/domain-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { UsageError } from '../errors/usage-error.js';
import { baseDefaults, baseFields } from './base-fields.js';
import {
  type FieldCodec,
  fieldCodec,
  fromDictValue,
  nestedModels,
  toDictValue,
} from './field-codec.js';
import { type ModelConstraints, modelConstraints } from './model-constraints.js';
import type { EntityOf, Fields, IdOf, InputOf, ModelOptions } from './model-types.js';

/** What a property is to the repository. */
export type ColumnRole = 'key' | 'base' | 'field' | 'extra' | 'computed';

/** One property of a model and the column that holds it. */
export interface ModelColumn {
  readonly property: string;
  readonly column: string;
  readonly codec: FieldCodec;
  readonly role: ColumnRole;
}

/**
 * Entities made by `create` and not saved yet: a repository inserts them without first trying
 * an update. Only a shortcut — a copy (`{ ...created }`) is not in it and is saved correctly
 * all the same, with one round trip more.
 */
export const unsaved = new WeakSet<object>();

/** What the table side needs of any model: names, columns, key (SchemaRegistry, SQL). */
export interface TableModel {
  readonly name: string;
  readonly table: string;
  readonly auditTable: string | undefined;
  readonly columns: readonly ModelColumn[];
  readonly primaryKey: readonly string[];
  readonly flags: ModelFlags;
  /** Unique constraints, indexes and checks the table enforces besides its key. */
  readonly constraints: ModelConstraints;
  column(property: string): ModelColumn | undefined;
}

/** The switches of a model's options, as booleans. */
export interface ModelFlags {
  readonly versioned: boolean;
  readonly embedded: boolean;
  readonly softDelete: boolean;
  readonly timestamps: boolean;
  readonly extra: boolean;
}

/** Options of `toDict`. */
export interface ToDictOptions {
  /** Include computed values (default true). */
  readonly computed?: boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const PROPERTY = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const OPTION_KEYS = new Set([
  'versioned',
  'embedded',
  'table',
  'primaryKey',
  'audit',
  'timestamps',
  'softDelete',
  'extra',
  'aliases',
  'computed',
  'saveComputed',
  'unique',
  'indexes',
  'checks',
]);

/** `firstName` → `first_name`. */
export function columnName(property: string): string {
  return property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A model: its fields as zod schemas, the base fields its options add, the
 * table that holds it, and conversions to and from plain objects. Entities are plain data of
 * type `model.Infer<typeof M>`; the model is what knows about them.
 */
export class Model<
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> implements TableModel
{
  readonly name: N;
  readonly fields: F;
  readonly options: O;
  readonly flags: ModelFlags;
  /** Table name (validated: lower case letters, digits, `_`). */
  readonly table: string;
  /** `<table>_audit` when the model keeps history. */
  readonly auditTable: string | undefined;
  /** Every property with a column, base fields first. */
  readonly columns: readonly ModelColumn[];
  /** Properties forming the primary key. */
  readonly primaryKey: readonly string[];
  /** Unique constraints (among live rows), indexes and checks, with their names in the database. */
  readonly constraints: ModelConstraints;
  /** The entity as a zod object (responses, validation); dates appear as date-time strings in OpenAPI. */
  readonly schema: z.ZodObject;
  /** The model's own fields as a zod object: what `create` accepts (a request body). */
  readonly input: z.ZodObject<F>;
  readonly #byProperty: ReadonlyMap<string, ModelColumn>;
  readonly #dictKeys: ReadonlyMap<string, string>;
  readonly #computed: readonly [string, (entity: never) => unknown][];

  /** @internal Use `model()`. */
  constructor(name: N, fields: F, options: O) {
    rejectUnknownKeys('model', options, OPTION_KEYS);
    this.name = name;
    this.fields = fields;
    this.options = options;
    this.flags = {
      versioned: options.versioned === true,
      embedded: options.embedded === true,
      softDelete: options.softDelete === true,
      timestamps: options.timestamps === true,
      extra: options.extra === true,
    };
    const table = options.table ?? columnName(name);
    if (!IDENTIFIER.test(table) || table.endsWith('_audit')) {
      invalidOption('model', 'table', `"${table}" must be lower case letters, digits and _`);
    }
    if (options.versioned === true && options.primaryKey !== undefined) {
      invalidOption('model', 'primaryKey', 'a versioned model is keyed by entityId');
    }
    if (options.primaryKey !== undefined && options.primaryKey.length === 0) {
      invalidOption('model', 'primaryKey', 'name at least one field');
    }
    if (options.versioned === true && options.softDelete === true) {
      invalidOption('model', 'softDelete', 'a versioned model is deleted as an inactive version');
    }
    if (options.embedded === true && (options.versioned === true || options.primaryKey)) {
      invalidOption('model', 'embedded', 'an embedded model has no key or versions');
    }
    this.table = table;
    this.auditTable =
      options.versioned === true && options.audit !== false ? `${table}_audit` : undefined;

    const base = baseFields(options as unknown as ModelOptions<Fields>);
    const columns: ModelColumn[] = [];
    const add = (property: string, schema: z.ZodType, role: ColumnRole) => {
      if (!PROPERTY.test(property)) {
        invalidOption('model', `fields.${property}`, 'must be a camelCase identifier');
      }
      if (columns.some((c) => c.property === property)) {
        invalidOption('model', `fields.${property}`, 'is a base field of this model');
      }
      columns.push({ property, column: columnName(property), codec: fieldCodec(schema), role });
    };
    for (const f of base) add(f.property, f.schema, f.role);
    for (const [property, schema] of Object.entries(fields)) add(property, schema, 'field');
    if (options.extra === true) add('extra', z.record(z.string(), z.unknown()), 'extra');
    this.#computed = Object.entries(options.computed ?? {});
    for (const [property] of this.#computed) {
      if (columns.some((c) => c.property === property)) {
        invalidOption('model', `computed.${property}`, 'has the name of a field');
      }
      if (options.saveComputed === true) add(property, z.unknown(), 'computed');
    }
    this.columns = columns;
    this.#byProperty = new Map(columns.map((c) => [c.property, c]));

    this.primaryKey = options.primaryKey ?? (options.embedded === true ? [] : ['entityId']);
    for (const key of options.primaryKey ?? []) {
      if (!(key in fields)) invalidOption('model', 'primaryKey', `"${key}" is not a field`);
    }

    const dictKeys = new Map<string, string>();
    for (const [property, alias] of Object.entries(options.aliases ?? {})) {
      if (base.some((b) => b.property === property)) {
        invalidOption('model', `aliases.${property}`, 'base fields keep their names');
      }
      if (!(property in fields)) invalidOption('model', `aliases.${property}`, 'is not a field');
      if (typeof alias !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) {
        invalidOption('model', `aliases.${property}`, 'must be a non-empty identifier');
      }
      if (this.#byProperty.has(alias) || [...dictKeys.values()].includes(alias)) {
        invalidOption('model', `aliases.${property}`, `"${alias}" is already a key`);
      }
      dictKeys.set(property, alias);
    }
    this.#dictKeys = dictKeys;
    this.constraints = modelConstraints(options, table, (p) => this.#byProperty.get(p));

    const shape: Record<string, z.ZodType> = {};
    for (const f of base) shape[f.property] = f.schema;
    Object.assign(shape, fields);
    this.schema = options.extra === true ? z.looseObject(shape) : z.object(shape);
    this.input = z.object(fields);
    nestedModels.set(this.schema, this);
  }

  /** The column of a property, or undefined. */
  column(property: string): ModelColumn | undefined {
    return this.#byProperty.get(property);
  }

  /** A new entity: the input validated (ValidationError with paths), base fields filled in. */
  create(input: InputOf<F>): EntityOf<F, O> {
    const data = parse(this.input, input, this.name) as Record<string, unknown>;
    const entity = { ...baseDefaults(this.options as unknown as ModelOptions<Fields>), ...data };
    unsaved.add(entity);
    return entity as EntityOf<F, O>;
  }

  /**
   * The next version of a versioned entity: previousVersion takes the current
   * version, version a new id, changedOn now, changedById the given id. A new object. UsageError
   * `MODEL_NOT_VERSIONED` on a model that is not versioned.
   */
  prepareForSave(entity: EntityOf<F, O>, changedById: string | null = null): EntityOf<F, O> {
    if (this.options.versioned !== true) {
      throw new UsageError(`${this.name} is not versioned`, { code: 'MODEL_NOT_VERSIONED' });
    }
    const current = entity as unknown as { version: string };
    return {
      ...entity,
      previousVersion: current.version,
      version: randomUUID(),
      changedOn: new Date(),
      changedById,
    };
  }

  /** The id of an entity, as `get` takes it. */
  idOf(entity: EntityOf<F, O>): IdOf<F, O> {
    const record = entity as Record<string, unknown>;
    if (this.primaryKey.length === 1) return record[this.primaryKey[0] as string] as IdOf<F, O>;
    return Object.fromEntries(this.primaryKey.map((k) => [k, record[k]])) as IdOf<F, O>;
  }

  /**
   * A plain, JSON-friendly object: dates as ISO strings, numeric enums by name,
   * nested models as objects, aliases as keys, extra fields at the top level, computed values
   * unless `computed: false` (one that throws is left out).
   */
  toDict(entity: EntityOf<F, O>, options: ToDictOptions = {}): Record<string, unknown> {
    const record = entity as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const c of this.columns) {
      if (c.role === 'extra' || c.role === 'computed') continue;
      if (!(c.property in record)) continue;
      out[this.#dictKeys.get(c.property) ?? c.property] = toDictValue(c.codec, record[c.property]);
    }
    if (this.options.extra === true) {
      for (const [key, value] of Object.entries(record)) {
        if (!this.#byProperty.has(key) && !(key in out)) out[key] = value;
      }
    }
    if (options.computed !== false) {
      for (const [name, compute] of this.#computed) {
        try {
          out[name] = compute(entity as never);
        } catch {
          // A computed value that cannot be computed for this entity is left out.
        }
      }
    }
    return out;
  }

  /**
   * The entity a plain object describes: keys by alias or property name, values converted
   * back, unknown keys kept (`extra: true`) or ignored, computed keys ignored; validated
   * against the model (ValidationError with the path of each problem). Base fields it lacks
   * take the values `create` gives (a seed's `{ firstName, … }` is a new entity, saved by an
   * insert); a dict from `toDict` has them all, so round trips are exact.
   */
  fromDict(dict: unknown, path = ''): EntityOf<F, O> {
    if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
      throw new ValidationError(`${path || this.name}: expected an object`, {
        details: [{ path, message: 'expected an object' }],
      });
    }
    const source = dict as Record<string, unknown>;
    const data: Record<string, unknown> = {};
    const used = new Set<string>();
    for (const c of this.columns) {
      if (c.role === 'extra' || c.role === 'computed') continue;
      const alias = this.#dictKeys.get(c.property);
      const key = alias !== undefined && alias in source ? alias : c.property;
      if (!(key in source)) continue;
      used.add(key);
      const at = path === '' ? key : `${path}.${key}`;
      data[c.property] = fromDictValue(c.codec, source[key], at);
    }
    for (const [name] of this.#computed) used.add(name);
    const fresh = baseDefaults(this.options as unknown as ModelOptions<Fields>);
    for (const key of Object.keys(fresh)) if (key in data) delete fresh[key];
    const entity = parse(this.schema, { ...fresh, ...data }, path || this.name) as Record<
      string,
      unknown
    >;
    // A new id: nothing stored can have it, so a save inserts without trying an update first.
    if ('entityId' in fresh && path === '') unsaved.add(entity);
    if (this.options.extra === true) {
      for (const [key, value] of Object.entries(source)) {
        if (!used.has(key) && !this.#byProperty.has(key) && key !== '__proto__') {
          entity[key] = value;
        }
      }
    }
    return entity as EntityOf<F, O>;
  }

  /** The extra fields of an entity of a model with `extra: true`. */
  extraOf(entity: EntityOf<F, O>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entity as Record<string, unknown>)) {
      if (!this.#byProperty.has(key)) out[key] = value;
    }
    return out;
  }
}

/** Validates with zod; a failure is a ValidationError with one detail per issue. */
function parse(schema: z.ZodType, value: unknown, where: string): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new ValidationError(
    `${where}: ${details.map((d) => `${d.path || '(root)'} ${d.message}`).join('; ')}`,
    { details },
  );
}

/**
 * Defines a model: a name (the table's, unless `table` says otherwise), its
 * fields as zod schemas, and options. Its entity type is `model.Infer<typeof M>`.
 *
 * @example
 * const Person = model('person', { firstName: z.string(), email: z.email() }, { versioned: true });
 * type Person = model.Infer<typeof Person>;
 */
export function model<
  const N extends string,
  const F extends Fields,
  const O extends ModelOptions<F> = Record<never, never>,
>(name: N, fields: F, options?: O & ModelOptions<F>): Model<N, F, O> {
  return new Model(name, fields, (options ?? {}) as O);
}

export declare namespace model {
  /** The entity type of a model. */
  type Infer<M> = M extends Model<string, infer F, infer O> ? EntityOf<F, O> : never;
  /** What identifies an entity of a model in `get`. */
  type Id<M> = M extends Model<string, infer F, infer O> ? IdOf<F, O> : never;
}
