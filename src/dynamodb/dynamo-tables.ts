import { keyColumnsOf } from '../data/entity-keys.js';
import type { ModelColumn, TableModel } from '../data/model.js';
import type { ManyToManyRelation } from '../data/relation.js';
import type { SchemaRegistry } from '../data/schema-registry.js';
import { UsageError } from '../errors/usage-error.js';

/** A key attribute of a table or index: its name (the column's) and DynamoDB type. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
  readonly column: ModelColumn;
}

/** A global secondary index: Query by its hash key, ordered by its range key. */
export interface IndexLayout {
  readonly name: string;
  readonly hash: KeyAttribute;
  readonly range: KeyAttribute | undefined;
}

/**
 * Where a model lives in DynamoDB. Its table is keyed by its key fields (the entity id, or up
 * to two key fields: hash and range) and holds one item per entity, the current version.
 * A versioned model with audit has a second table, `<table>_audit`, keyed by entity id and
 * version, holding every version ever written, the current one included: a save writes the
 * current item and its version item in one transaction, with no read of the previous one,
 * and a scan of the first table never reads history. Indexes: one per model `indexes` /
 * `unique` entry and per foreign key of a relation (on its first two fields).
 */
export interface ModelTables {
  readonly model: TableModel;
  readonly table: string;
  readonly hash: KeyAttribute;
  readonly range: KeyAttribute | undefined;
  /** The versions table, or undefined (unversioned, or `audit: false`). */
  readonly versions: string | undefined;
  readonly indexes: readonly IndexLayout[];
}

/** An association table of a many-to-many relation: one item per pair, both ways by an index. */
export interface PairTable {
  readonly table: string;
  readonly hash: KeyAttribute;
  readonly range: KeyAttribute;
  /** Keyed the other way round: the pairs of a `range` value. */
  readonly reverse: IndexLayout;
}

function unsupported(message: string): never {
  throw new UsageError(message, { code: 'DYNAMODB_UNSUPPORTED_MODEL' });
}

/** The DynamoDB type of a key column: text, ids and dates are S, numbers N; nothing else keys. */
export function keyAttribute(model: TableModel, column: ModelColumn): KeyAttribute {
  const storage = column.codec.storage;
  if (['text', 'uuid', 'timestamp'].includes(storage)) {
    return { name: column.column, type: 'S', column };
  }
  if (['integer', 'bigint', 'double', 'numeric'].includes(storage)) {
    return { name: column.column, type: 'N', column };
  }
  return unsupported(
    `${model.name}.${column.property} is ${storage}: DynamoDB keys and indexes are text or numbers`,
  );
}

/** The tables of each model and pair, made once per store and registry. */
export class TableLayouts {
  readonly #prefix: string;
  readonly #models = new WeakMap<TableModel, WeakMap<object, ModelTables>>();
  readonly #pairs = new Map<string, PairTable>();
  readonly #none = {};

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** The table name with the store's prefix. */
  name(table: string): string {
    return `${this.#prefix}${table}`;
  }

  /** Where `model` lives; `registry` adds indexes on the foreign keys of its relations. */
  of(model: TableModel, registry?: SchemaRegistry): ModelTables {
    let byRegistry = this.#models.get(model);
    if (byRegistry === undefined) {
      byRegistry = new WeakMap();
      this.#models.set(model, byRegistry);
    }
    const scope = registry ?? this.#none;
    let layout = byRegistry.get(scope);
    if (layout === undefined) {
      layout = this.#layout(model, registry);
      byRegistry.set(scope, layout);
    }
    return layout;
  }

  #layout(model: TableModel, registry: SchemaRegistry | undefined): ModelTables {
    if (model.flags.embedded) unsupported(`${model.name} is embedded: it has no table`);
    const keys = keyColumnsOf(model);
    if (keys.length > 2) {
      unsupported(
        `${model.name} has a key of ${keys.length} fields: a DynamoDB table is keyed by at most two (hash and range)`,
      );
    }
    const hash = keyAttribute(model, keys[0] as ModelColumn);
    const range = keys[1] === undefined ? undefined : keyAttribute(model, keys[1]);
    const indexes: IndexLayout[] = [];
    const add = (columns: readonly ModelColumn[]) => {
      const [first, second] = columns;
      if (first === undefined || first === hash.column) return;
      const h = keyAttribute(model, first);
      const r = second === undefined ? undefined : keyAttribute(model, second);
      if (indexes.some((i) => i.hash.name === h.name && i.range?.name === r?.name)) return;
      indexes.push({
        name: `${[h.name, r?.name].filter(Boolean).join('_')}_index`,
        hash: h,
        range: r,
      });
    };
    const column = (property: string) => model.column(property) as ModelColumn;
    for (const c of [...model.constraints.indexes, ...model.constraints.unique]) {
      add(c.columns.map((k) => column(k.property)));
    }
    for (const other of registry?.models ?? []) {
      for (const r of registry?.relationsOf(other).values() ?? []) {
        if (r.kind === 'belongsTo' && r.from === model) add([r.foreignKey]);
        if (r.kind === 'hasMany' && r.target === model) add([r.foreignKey]);
      }
    }
    return {
      model,
      table: this.name(model.table),
      hash,
      range,
      versions: model.auditTable === undefined ? undefined : this.name(model.auditTable),
      indexes,
    };
  }

  /**
   * The association table of a many-to-many relation, the same from both sides: keyed by the
   * column whose name sorts first, the other by the index `<other>_index`.
   */
  pairs(relation: ManyToManyRelation): PairTable {
    let pair = this.#pairs.get(relation.through);
    if (pair === undefined) {
      const own = keyColumnsOf(relation.from)[0] as ModelColumn;
      const theirs = keyColumnsOf(relation.target)[0] as ModelColumn;
      const a = { ...keyAttribute(relation.from, own), name: relation.fromColumn };
      const b = { ...keyAttribute(relation.target, theirs), name: relation.targetColumn };
      const [hash, range] = a.name < b.name ? [a, b] : [b, a];
      pair = {
        table: this.name(relation.through),
        hash,
        range,
        reverse: { name: `${range.name}_index`, hash: range, range: hash },
      };
      this.#pairs.set(relation.through, pair);
    }
    return pair;
  }
}
