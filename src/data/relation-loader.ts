import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { misuse } from './data-errors.js';
import { type DialectStatement, OWNER_COLUMN, type SqlDialect } from './dialect/sql-dialect.js';
import { fetchRows } from './dialect/statement-runner.js';
import { fromColumnValue, toColumnValue } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';
import { readerOf } from './model-reader.js';
import type { Relation } from './relation.js';
import type { SchemaRegistry } from './schema-registry.js';

type Entity = Record<string, unknown>;
type PathTree = Map<string, { relation: Relation; children: PathTree }>;

/** Each relation's statement, written once per dialect. */
const statements = new WeakMap<SqlDialect, WeakMap<Relation, DialectStatement>>();

function statementOf(dialect: SqlDialect, relation: Relation): DialectStatement {
  let byRelation = statements.get(dialect);
  if (byRelation === undefined) {
    byRelation = new WeakMap();
    statements.set(dialect, byRelation);
  }
  let statement = byRelation.get(relation);
  if (statement === undefined) {
    statement =
      relation.kind === 'manyToMany'
        ? dialect.selectThrough(relation)
        : dialect.selectWhereIn(
            relation.target,
            relation.kind === 'belongsTo' ? keyOf(relation.target) : relation.foreignKey,
          );
    byRelation.set(relation, statement);
  }
  return statement;
}

function keyOf(model: TableModel): ModelColumn {
  return model.column(model.primaryKey[0] as string) as ModelColumn;
}

/** `['person', 'person.loginMethod']` as a tree of relations, each name checked. */
function pathTree(registry: SchemaRegistry, model: TableModel, paths: unknown): PathTree {
  if (!Array.isArray(paths)) {
    return misuse('INVALID_QUERY', 'fetchRelated', 'must be an array of relation paths');
  }
  const root: PathTree = new Map();
  paths.forEach((path, i) => {
    if (typeof path !== 'string') misuse('INVALID_QUERY', `fetchRelated.${i}`, 'must be a string');
    let level = root;
    let at = model;
    for (const name of path.split('.')) {
      const relation = registry.relationsOf(at).get(name);
      if (relation === undefined) {
        misuse(
          'UNKNOWN_RELATION',
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

/** Rows of the relation's target whose `column` is one of `values`: one statement. */
async function rowsWhereIn(
  db: DatabaseAdapter,
  dialect: SqlDialect,
  relation: Relation,
  column: ModelColumn,
  values: unknown[],
): Promise<Entity[]> {
  const reader = readerOf(relation.target, dialect);
  const list = dialect.listArgument(values.map((v) => toColumnValue(column.codec, v)));
  const rows = await fetchRows<Entity>(db, statementOf(dialect, relation), [list]);
  return rows.map((r) => reader.fromRow(r));
}

/** Loads one relation for `entities`; returns the related entities (each once). */
async function loadRelation(
  db: DatabaseAdapter,
  dialect: SqlDialect,
  relation: Relation,
  entities: Entity[],
): Promise<Entity[]> {
  const { name, target } = relation;
  if (relation.kind === 'belongsTo') {
    const fk = relation.foreignKey.property;
    const ids = unique(entities.map((e) => e[fk]));
    const key = keyOf(target);
    const rows = ids.length === 0 ? [] : await rowsWhereIn(db, dialect, relation, key, ids);
    const byKey = new Map(rows.map((r) => [r[key.property], r]));
    for (const e of entities) e[name] = byKey.get(e[fk]) ?? null;
    return rows;
  }
  const ownKey = keyOf(relation.from).property;
  const ids = unique(entities.map((e) => e[ownKey]));
  const groups = new Map<unknown, Entity[]>();
  let related: Entity[] = [];
  if (ids.length > 0 && relation.kind === 'hasMany') {
    related = await rowsWhereIn(db, dialect, relation, relation.foreignKey, ids);
    for (const r of related) group(groups, r[relation.foreignKey.property], r);
  } else if (ids.length > 0 && relation.kind === 'manyToMany') {
    const reader = readerOf(target, dialect);
    const key = keyOf(target);
    const ownColumn = keyOf(relation.from);
    const list = dialect.listArgument(ids.map((v) => toColumnValue(ownColumn.codec, v)));
    const rows = await fetchRows<Entity>(db, statementOf(dialect, relation), [list]);
    // One object per related entity, shared by every owner it is paired with.
    const byKey = new Map<unknown, Entity>();
    for (const row of rows) {
      // Keys compared as the entities hold them (converted: an int8 key is a string in a row).
      const owner = fromColumnValue(ownColumn.codec, row[OWNER_COLUMN]);
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

async function loadTree(
  db: DatabaseAdapter,
  dialect: SqlDialect,
  tree: PathTree,
  entities: Entity[],
): Promise<void> {
  if (entities.length === 0) return;
  for (const { relation, children } of tree.values()) {
    const related = await loadRelation(db, dialect, relation, entities);
    if (children.size > 0) await loadTree(db, dialect, children, related);
  }
}

/** The relations to load, checked against the registry before anything is read. */
export type RelatedPlan = PathTree;

/**
 * Checks `fetchRelated` paths and plans the loading. Relation names are server code's: a
 * name the model lacks is a UsageError (`UNKNOWN_RELATION`).
 */
export function planRelated(
  registry: SchemaRegistry | undefined,
  model: TableModel,
  paths: unknown,
): RelatedPlan {
  if (registry === undefined) {
    misuse(
      'NO_SCHEMA_REGISTRY',
      'fetchRelated',
      `${model.name}'s repository has no schema registry with relations`,
    );
  }
  return pathTree(registry, model, paths);
}

/**
 * Attaches related entities along the plan: one statement per relation and level, whatever
 * the number of entities — never one per entity.
 */
export function loadRelated(
  db: DatabaseAdapter,
  dialect: SqlDialect,
  plan: RelatedPlan,
  entities: Record<string, unknown>[],
): Promise<void> {
  return loadTree(db, dialect, plan, entities);
}
