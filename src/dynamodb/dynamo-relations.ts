import { misuse } from '../data/data-errors.js';
import { checkEntity, checkKey, keyColumnsOf } from '../data/entity-keys.js';
import type { Model, ModelColumn, TableModel } from '../data/model.js';
import type { Relation } from '../data/relation.js';
import type { RelatedPlan } from '../data/relation-loader.js';
import type { SchemaRegistry } from '../data/schema-registry.js';
import type { DynamoAccess } from './dynamo-access.js';
import { conditionExpression, ExpressionParts } from './dynamo-expressions.js';
import { attributeValue, type Item, ItemCodec } from './dynamo-items.js';
import type { ReadPlan } from './dynamo-read-plan.js';
import { batchGet, readItems } from './dynamo-reads.js';
import type { ModelTables, PairTable } from './dynamo-tables.js';

type Entity = Record<string, unknown>;

/** Whether an item is live: not an inactive version, not soft-deleted. */
export function isLive(model: TableModel, item: Item): boolean {
  if (model.flags.versioned) return item.active !== false;
  if (model.flags.softDelete) return item.deleted_at === undefined;
  return true;
}

function keyOf(model: TableModel): ModelColumn {
  return model.column(model.primaryKey[0] as string) as ModelColumn;
}

function unique(values: unknown[]): unknown[] {
  return [...new Set(values.filter((v) => v !== null && v !== undefined))];
}

/**
 * Relations of the models of one registry on DynamoDB: `fetchRelated` (a BatchGetItem per
 * relation and level for belongs-to; a Query per owner on the foreign key's index, or one
 * filtered Scan when the target has none, for has-many; a Query per owner of the association
 * table, then a BatchGetItem, for many-to-many) and `relate` / `unrelate`.
 */
export class DynamoRelations {
  readonly #access: DynamoAccess;
  readonly #schema: SchemaRegistry | undefined;
  readonly #codecs = new WeakMap<TableModel, ItemCodec>();

  constructor(access: DynamoAccess, schema: SchemaRegistry | undefined) {
    this.#access = access;
    this.#schema = schema;
  }

  codecOf(model: TableModel): ItemCodec {
    let codec = this.#codecs.get(model);
    if (codec === undefined) {
      codec = new ItemCodec(model as Model, this.#schema);
      this.#codecs.set(model, codec);
    }
    return codec;
  }

  tablesOf(model: TableModel): ModelTables {
    return this.#access.tables.of(model, this.#schema);
  }

  /** Attaches related entities along the plan, level by level. */
  async load(plan: RelatedPlan, entities: Entity[]): Promise<void> {
    if (entities.length === 0) return;
    for (const { relation, children } of plan.values()) {
      const related = await this.#loadOne(relation, entities);
      if (children.size > 0) await this.load(children, related);
    }
  }

  /** Live entities of `model` with these keys (single-field keys). */
  async byKeys(model: TableModel, ids: unknown[]): Promise<Entity[]> {
    if (ids.length === 0) return [];
    const tables = this.tablesOf(model);
    const keys = ids.map((id) => ({
      [tables.hash.name]: attributeValue(tables.hash.column.codec, id),
    }));
    const items = await batchGet(
      this.#access,
      tables.table,
      keys,
      this.#access.settings.consistentRead,
    );
    const codec = this.codecOf(model);
    return items.filter((i) => isLive(model, i)).map((i) => codec.fromItem(i));
  }

  async #loadOne(relation: Relation, entities: Entity[]): Promise<Entity[]> {
    const { name, target } = relation;
    if (relation.kind === 'belongsTo') {
      const fk = relation.foreignKey.property;
      const rows = await this.byKeys(target, unique(entities.map((e) => e[fk])));
      const key = keyOf(target).property;
      const byKey = new Map(rows.map((r) => [r[key], r]));
      for (const e of entities) e[name] = byKey.get(e[fk]) ?? null;
      return rows;
    }
    const ownKey = keyOf(relation.from).property;
    const ids = unique(entities.map((e) => e[ownKey]));
    const groups = new Map<unknown, Entity[]>();
    const add = (owner: unknown, entity: Entity) => {
      const list = groups.get(owner);
      if (list === undefined) groups.set(owner, [entity]);
      else list.push(entity);
    };
    let related: Entity[] = [];
    if (relation.kind === 'hasMany') {
      related = await this.#byForeignKey(target, relation.foreignKey, ids);
      for (const r of related) add(r[relation.foreignKey.property], r);
    } else {
      const pair = this.#access.tables.pairs(relation);
      const ownColumn = relation.fromColumn;
      const theirColumn = relation.targetColumn;
      const pairs = (
        await Promise.all(ids.map((id) => this.#pairsOf(pair, ownColumn, keyOf(relation.from), id)))
      ).flat();
      const targets = await this.byKeys(target, unique(pairs.map((p) => p[theirColumn])));
      const targetKey = keyOf(target);
      const byKey = new Map(
        targets.map((t) => [attributeValue(targetKey.codec, t[targetKey.property]), t]),
      );
      const ownCodec = keyOf(relation.from).codec;
      for (const p of pairs) {
        const entity = byKey.get(p[theirColumn]);
        const owner = ids.find((id) => attributeValue(ownCodec, id) === p[ownColumn]);
        if (entity !== undefined) add(owner, entity);
      }
      related = targets;
    }
    for (const e of entities) e[name] = groups.get(e[ownKey]) ?? [];
    return related;
  }

  /** Live entities whose foreign key is one of `ids`: a Query per id on its index, else a Scan. */
  async #byForeignKey(target: TableModel, fk: ModelColumn, ids: unknown[]): Promise<Entity[]> {
    if (ids.length === 0) return [];
    const tables = this.tablesOf(target);
    const codec = this.codecOf(target);
    const index =
      tables.indexes.find((i) => i.hash.column === fk && i.range === undefined) ??
      tables.indexes.find((i) => i.hash.column === fk);
    const live = (parts: ExpressionParts): string[] =>
      target.flags.versioned
        ? [`${parts.name('active')} = ${parts.value(true)}`]
        : target.flags.softDelete
          ? [`attribute_not_exists(${parts.name('deleted_at')})`]
          : [];
    const plans: ReadPlan[] = [];
    if (index !== undefined) {
      for (const id of ids) {
        const parts = new ExpressionParts();
        const key = `${parts.name(fk.column)} = ${parts.value(attributeValue(fk.codec, id))}`;
        const filter = live(parts);
        plans.push({
          operation: 'query',
          input: {
            TableName: tables.table,
            IndexName: index.name,
            KeyConditionExpression: key,
            ...(filter.length === 0 ? {} : { FilterExpression: filter.join(' AND ') }),
            ...parts.input(),
          },
          positionKeys: [],
          filtered: filter.length > 0,
          index: index.name,
          post: [],
        });
      }
    } else {
      const parts = new ExpressionParts();
      const filter = [
        conditionExpression(parts, { op: 'in', column: fk, values: ids }),
        ...live(parts),
      ];
      plans.push({
        operation: 'scan',
        input: {
          TableName: tables.table,
          FilterExpression: filter.join(' AND '),
          ...parts.input(),
        },
        positionKeys: [],
        filtered: true,
        index: undefined,
        post: [],
      });
    }
    const results = await Promise.all(
      plans.map((p) => readItems(this.#access, p, undefined, undefined)),
    );
    return results.flatMap((r) => r.items.map((i) => codec.fromItem(i)));
  }

  async #pairsOf(
    pair: PairTable,
    ownColumn: string,
    own: ModelColumn,
    id: unknown,
  ): Promise<Item[]> {
    const parts = new ExpressionParts();
    const byHash = pair.hash.name === ownColumn;
    const plan: ReadPlan = {
      operation: 'query',
      input: {
        TableName: pair.table,
        ...(byHash ? {} : { IndexName: pair.reverse.name }),
        KeyConditionExpression: `${parts.name(ownColumn)} = ${parts.value(attributeValue(own.codec, id))}`,
        ...parts.input(),
      },
      positionKeys: [],
      filtered: false,
      index: byHash ? undefined : pair.reverse.name,
      post: [],
    };
    return (await readItems(this.#access, plan, undefined, undefined)).items;
  }

  /** The association table of relation `name` of `model` and the pair's item. */
  pairItem(
    model: TableModel,
    name: string,
    entity: object,
    other: object,
  ): { pair: PairTable; item: Item } {
    const schema = this.#schema;
    if (schema === undefined) {
      misuse(
        'NO_SCHEMA_REGISTRY',
        'name',
        `${model.name}'s repository has no schema registry with relations`,
      );
    }
    const relation = schema.relationsOf(model).get(name);
    if (relation?.kind !== 'manyToMany') {
      misuse('UNKNOWN_RELATION', 'name', `${name} is not a many-to-many relation of ${model.name}`);
    }
    checkEntity(entity, 'entity');
    checkEntity(other, 'other');
    const ownKey = keyColumnsOf(model)[0] as ModelColumn;
    const otherKey = keyColumnsOf(relation.target)[0] as ModelColumn;
    const own = (entity as Entity)[ownKey.property];
    const theirs = (other as Entity)[otherKey.property];
    checkKey(ownKey, own, 'entity');
    checkKey(otherKey, theirs, 'other');
    return {
      pair: this.#access.tables.pairs(relation),
      item: {
        [relation.fromColumn]: attributeValue(ownKey.codec, own),
        [relation.targetColumn]: attributeValue(otherKey.codec, theirs),
      },
    };
  }
}
