import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { ModelColumn, TableModel } from './model.js';
import { constraintName } from './model-constraints.js';

/**
 * A named link from one model to another:
 * - `belongsTo`: this model's field holds the other's key (`person.organizationId`);
 * - `hasMany`: the other model's field holds this one's key (organization → its people);
 * - `manyToMany`: pairs of keys in an association table, readable from both sides.
 */
export type Relation =
  | {
      readonly kind: 'belongsTo';
      readonly from: TableModel;
      readonly name: string;
      readonly target: TableModel;
      /** The field of `from` holding the target's key. */
      readonly foreignKey: ModelColumn;
      /**
       * The name of the FOREIGN KEY constraint the DDL gives `from`'s table, or undefined
       * when the relation opted out (`{ references: false }`).
       */
      readonly constraint?: string | undefined;
    }
  | {
      readonly kind: 'hasMany';
      readonly from: TableModel;
      readonly name: string;
      readonly target: TableModel;
      /** The field of `target` holding `from`'s key. */
      readonly foreignKey: ModelColumn;
    }
  | {
      readonly kind: 'manyToMany';
      readonly from: TableModel;
      readonly name: string;
      readonly target: TableModel;
      /** The association table and its two key columns, `from`'s first. */
      readonly through: string;
      readonly fromColumn: string;
      readonly targetColumn: string;
      /**
       * Whether `from` is the side declared first (`a` of `manyToMany(a, …, b, …)`): where a
       * store's pairs have a direction (SurrealDB's edges), they go from that side.
       */
      readonly declaredFirst: boolean;
    };

/** A belongs-to relation: the foreign key on `from` and its constraint. */
export type BelongsToRelation = Extract<Relation, { readonly kind: 'belongsTo' }>;

/** A many-to-many relation: its association table and key columns. */
export type ManyToManyRelation = Extract<Relation, { readonly kind: 'manyToMany' }>;

const NAME = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

function singleKey(model: TableModel, role: string): ModelColumn {
  const key =
    model.primaryKey.length === 1 ? model.column(model.primaryKey[0] as string) : undefined;
  if (key === undefined) {
    invalidOption('relation', role, `${model.name} needs a single-field key to be related`);
  }
  return key;
}

function checkName(model: TableModel, name: string): void {
  if (!NAME.test(name)) invalidOption('relation', 'name', `"${name}" must be a camelCase name`);
  if (model.column(name) !== undefined) {
    invalidOption('relation', 'name', `"${name}" is already a field of ${model.name}`);
  }
}

function foreignKeyOf(model: TableModel, field: string, key: ModelColumn): ModelColumn {
  const column = model.column(field);
  if (column === undefined || column.role !== 'field') {
    return invalidOption('relation', 'foreignKey', `"${field}" is not a field of ${model.name}`);
  }
  if (column.codec.storage !== key.codec.storage) {
    invalidOption(
      'relation',
      'foreignKey',
      `${model.name}.${field} is ${column.codec.storage}, the key it refers to ${key.codec.storage}`,
    );
  }
  return column;
}

/**
 * Checks a relation built by hand rather than by `belongsTo`/`hasMany`/`manyToMany`: its
 * names go into SQL.
 */
export function checkRelation(relation: Relation): void {
  if (!NAME.test(relation.name)) {
    invalidOption('relation', 'name', `"${relation.name}" must be a camelCase name`);
  }
  if (relation.kind !== 'manyToMany') {
    const holder = relation.kind === 'belongsTo' ? relation.from : relation.target;
    if (holder.column(relation.foreignKey.property) !== relation.foreignKey) {
      invalidOption('relation', 'foreignKey', `not a field of ${holder.name}`);
    }
    const constraint = relation.kind === 'belongsTo' ? relation.constraint : undefined;
    if (constraint !== undefined && !TABLE.test(constraint)) {
      invalidOption(
        'relation',
        'constraint',
        `"${constraint}" must be lower case letters, digits and _`,
      );
    }
    return;
  }
  for (const [key, value] of [
    ['through', relation.through],
    ['fromColumn', relation.fromColumn],
    ['targetColumn', relation.targetColumn],
  ] as const) {
    if (!TABLE.test(value)) {
      invalidOption('relation', key, `"${value}" must be lower case letters, digits and _`);
    }
  }
}

const BELONGS_TO_KEYS = new Set(['references']);

/** Options of {@link belongsTo}. */
export interface BelongsToOptions {
  /**
   * Whether the database refuses a key naming no `target` (a FOREIGN KEY constraint; default
   * true). Opt out where a key may outlive its target (a hard-deleted entity whose history
   * stays) or the target lives elsewhere.
   */
  readonly references?: boolean;
}

/**
 * `from[name]` is the `target` whose key is in `from[foreignKey]` (or null). The database
 * refuses a key naming no target unless `references: false`: a save with one is a
 * RelatedResourceNotFoundError naming the relation, a hard delete of a target still named a
 * ConflictError.
 *
 * @example
 * belongsTo(Person, 'organization', Organization, 'organizationId');
 */
export function belongsTo(
  from: TableModel,
  name: string,
  target: TableModel,
  foreignKey: string,
  options: BelongsToOptions = {},
): Relation {
  rejectUnknownKeys('belongsTo', options, BELONGS_TO_KEYS);
  const relation = keyRelation('belongsTo', from, name, target, foreignKey);
  if (options.references === false || relation.kind !== 'belongsTo') return relation;
  const fk = relation.foreignKey.column;
  return { ...relation, constraint: constraintName(from.table, [fk], 'fkey') };
}

/** `from[name]` lists the `target`s whose `foreignKey` holds `from`'s key. */
export function hasMany(
  from: TableModel,
  name: string,
  target: TableModel,
  foreignKey: string,
): Relation {
  return keyRelation('hasMany', from, name, target, foreignKey);
}

/**
 * A relation through a foreign key: `belongsTo` keeps it on `from` and points at `target`'s
 * key, `hasMany` keeps it on `target` and points at `from`'s.
 */
function keyRelation(
  kind: 'belongsTo' | 'hasMany',
  from: TableModel,
  name: string,
  target: TableModel,
  foreignKey: string,
): Relation {
  checkName(from, name);
  const [holder, keyed, role] =
    kind === 'belongsTo' ? [from, target, 'target'] : [target, from, 'from'];
  const key = singleKey(keyed, role);
  return { kind, from, name, target, foreignKey: foreignKeyOf(holder, foreignKey, key) };
}

/**
 * `a[nameOnA]` lists the `b`s paired with it in the association table `through`, and
 * `b[nameOnB]` the `a`s: both directions of one relation.
 */
export function manyToMany(
  a: TableModel,
  nameOnA: string,
  b: TableModel,
  nameOnB: string,
  options: { readonly through: string },
): [Relation, Relation] {
  checkName(a, nameOnA);
  checkName(b, nameOnB);
  singleKey(a, 'a');
  singleKey(b, 'b');
  if (!TABLE.test(options.through)) {
    invalidOption(
      'relation',
      'through',
      `"${options.through}" must be lower case letters, digits and _`,
    );
  }
  const [aColumn, bColumn] =
    a === b ? [`${a.table}_id`, `related_${b.table}_id`] : [`${a.table}_id`, `${b.table}_id`];
  return [
    {
      kind: 'manyToMany',
      from: a,
      name: nameOnA,
      target: b,
      through: options.through,
      fromColumn: aColumn,
      targetColumn: bColumn,
      declaredFirst: true,
    },
    {
      kind: 'manyToMany',
      from: b,
      name: nameOnB,
      target: a,
      through: options.through,
      fromColumn: bColumn,
      targetColumn: aColumn,
      declaredFirst: false,
    },
  ];
}
