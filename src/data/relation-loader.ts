import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { fromColumnValue, toColumnValue } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';
import { readerOf } from './model-reader.js';
import type { Relation } from './relation.js';
import type { SchemaRegistry } from './schema-registry.js';
import { invalidInput, quote } from './sql-names.js';

type Entity = Record<string, unknown>;
type PathTree = Map<string, { relation: Relation; children: PathTree }>;

function keyOf(model: TableModel): ModelColumn {
  return model.column(model.primaryKey[0] as string) as ModelColumn;
}

/** `['person', 'person.loginMethod']` as a tree of relations, each name checked. */
function pathTree(registry: SchemaRegistry, model: TableModel, paths: unknown): PathTree {
  if (!Array.isArray(paths))
    return invalidInput('fetchRelated', 'must be an array of relation paths');
  const root: PathTree = new Map();
  paths.forEach((path, i) => {
    if (typeof path !== 'string') invalidInput(`fetchRelated.${i}`, 'must be a string');
    let level = root;
    let at = model;
    for (const name of path.split('.')) {
      const relation = registry.relationsOf(at).get(name);
      if (relation === undefined) {
        invalidInput(
          `fetchRelated.${i}`,
          `${JSON.stringify(name)} is not a relation of ${at.name}`,
        );
      }
      let node = level.get(name);
      if (node === undefined) {
        node = { relation, children: new Map() };
        level.set(name, node);
      }
      level = node.children;
      at = relation.target;
    }
  });
  return root;
}

function group(groups: Map<unknown, Entity[]>, owner: unknown, entity: Entity): void {
  const list = groups.get(owner);
  if (list === undefined) groups.set(owner, [entity]);
  else list.push(entity);
}

function unique(values: unknown[]): unknown[] {
  return [...new Set(values.filter((v) => v !== null && v !== undefined))];
}

/** Rows of `target` whose `column` is one of `values`: one statement. */
async function rowsWhereIn(
  db: DatabaseAdapter,
  target: TableModel,
  column: ModelColumn,
  values: unknown[],
): Promise<Entity[]> {
  const reader = readerOf(target);
  const live = reader.live === '' ? '' : ` AND ${reader.live}`;
  const rows = await db.fetch<Entity>(
    `SELECT ${reader.select} FROM ${quote(target.table)} WHERE ${quote(column.column)} = ANY($1::${column.codec.sqlType}[])${live}`,
    [values.map((v) => toColumnValue(column.codec, v))],
  );
  return rows.map((r) => reader.fromRow(r));
}

/** Loads one relation for `entities`; returns the related entities (each once). */
async function loadRelation(
  db: DatabaseAdapter,
  relation: Relation,
  entities: Entity[],
): Promise<Entity[]> {
  const { name, target } = relation;
  if (relation.kind === 'belongsTo') {
    const fk = relation.foreignKey.property;
    const ids = unique(entities.map((e) => e[fk]));
    const key = keyOf(target);
    const rows = ids.length === 0 ? [] : await rowsWhereIn(db, target, key, ids);
    const byKey = new Map(rows.map((r) => [r[key.property], r]));
    for (const e of entities) e[name] = byKey.get(e[fk]) ?? null;
    return rows;
  }
  const ownKey = keyOf(relation.from).property;
  const ids = unique(entities.map((e) => e[ownKey]));
  const groups = new Map<unknown, Entity[]>();
  let related: Entity[] = [];
  if (ids.length > 0 && relation.kind === 'hasMany') {
    related = await rowsWhereIn(db, target, relation.foreignKey, ids);
    for (const r of related) group(groups, r[relation.foreignKey.property], r);
  } else if (ids.length > 0 && relation.kind === 'manyToMany') {
    const reader = readerOf(target);
    const key = keyOf(target);
    const ownColumn = keyOf(relation.from);
    const live = reader.live === '' ? '' : ` AND ${reader.liveFrom('t')}`;
    const rows = await db.fetch<Entity>(
      `SELECT a.${quote(relation.fromColumn)} AS "__owner", ${reader.selectFrom('t')} FROM ${quote(relation.through)} a JOIN ${quote(target.table)} t ON t.${quote(key.column)} = a.${quote(relation.targetColumn)} WHERE a.${quote(relation.fromColumn)} = ANY($1::${ownColumn.codec.sqlType}[])${live}`,
      [ids.map((v) => toColumnValue(ownColumn.codec, v))],
    );
    // One object per related entity, shared by every owner it is paired with.
    const byKey = new Map<unknown, Entity>();
    for (const row of rows) {
      // Keys compared as the entities hold them (converted: an int8 key is a string in a row).
      const owner = fromColumnValue(ownColumn.codec, row.__owner);
      delete row.__owner;
      const converted = reader.fromRow(row);
      let entity = byKey.get(converted[key.property]);
      if (entity === undefined) {
        entity = converted;
        byKey.set(entity[key.property], entity);
      }
      group(groups, owner, entity);
    }
    related = [...byKey.values()];
  }
  for (const e of entities) e[name] = groups.get(e[ownKey]) ?? [];
  return related;
}

async function loadTree(db: DatabaseAdapter, tree: PathTree, entities: Entity[]): Promise<void> {
  if (entities.length === 0) return;
  for (const { relation, children } of tree.values()) {
    const related = await loadRelation(db, relation, entities);
    if (children.size > 0) await loadTree(db, children, related);
  }
}

/** The relations to load, checked against the registry before anything is read. */
export type RelatedPlan = PathTree;

/** Checks `fetchRelated` paths (ValidationError naming the bad one) and plans the loading. */
export function planRelated(
  registry: SchemaRegistry | undefined,
  model: TableModel,
  paths: unknown,
): RelatedPlan {
  if (registry === undefined) {
    invalidInput(
      'fetchRelated',
      `${model.name}'s repository has no schema registry with relations`,
    );
  }
  return pathTree(registry, model, paths);
}

/**
 * Attaches related entities along the plan (SPEC REPO-8): one statement per relation and
 * level, whatever the number of entities — never one per entity.
 */
export function loadRelated(
  db: DatabaseAdapter,
  plan: RelatedPlan,
  entities: Record<string, unknown>[],
): Promise<void> {
  return loadTree(db, plan, entities);
}
