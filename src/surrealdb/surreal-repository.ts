import { RecordId } from 'surrealdb';
import { invalidValue, misuse } from '../data/data-errors.js';
import type { SortItem } from '../data/dialect/sql-dialect.js';
import { orderVersions } from '../data/entity-history.js';
import { checkCount, checkEntity, checkKey, keyColumnsOf } from '../data/entity-keys.js';
import { type Model, type ModelColumn, type TableModel, unsaved } from '../data/model.js';
import type { ModelRepository } from '../data/model-repository.js';
import type { EntityOf, Fields, IdOf, ModelOptions } from '../data/model-types.js';
import type { ManyToManyRelation } from '../data/relation.js';
import { planRelated, type RelatedPlan } from '../data/relation-loader.js';
import type {
  ManyOptions,
  Page,
  ReadOptions,
  RepositoryOptions,
  SaveOptions,
  SearchOptions,
} from '../data/repository-options.js';
import { RowValues } from '../data/row-values.js';
import { entityNotFound, savedBy } from '../data/save-outcomes.js';
import type { SchemaRegistry } from '../data/schema-registry.js';
import { compileSort, compileWhere, type Where } from '../data/where-clause.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { ConditionWriter, field, liveCondition } from './surreal-conditions.js';
import { constraintFailure } from './surreal-constraints.js';
import type { SurrealDatabase } from './surreal-database.js';
import { attachRelated, relatedSelect } from './surreal-fetch.js';
import { RecordCodec } from './surreal-records.js';
import { edgeOut } from './surreal-schema.js';
import { auditCopy, SurrealVersionedSave } from './surreal-versioned-save.js';

type Related = Record<never, never>;
type Entity = Record<string, unknown>;
type Doc = Record<string, unknown>;

/** Options of {@link SurrealRepository}: the relations' registry and the default author. */
export type SurrealRepositoryOptions = Pick<RepositoryOptions, 'schema' | 'changedBy'>;

const OPTION_KEYS = new Set(['schema', 'changedBy']);
const MAX_PAGE_SIZE = 1000;
const NO_OPTIONS: ReadOptions = Object.freeze({});

/**
 * The repository of a model on SurrealDB: the same `ModelRepository` as the SQL stores, over
 * records keyed `table:⟨uuid⟩`. `belongsTo` fields are record links and `fetchRelated` is one
 * query (FETCH for chains of links, subqueries for `hasMany`, edge walks for many-to-many);
 * many-to-many pairs are graph edges; versioned saves are conditional updates that copy the
 * replaced version to `<table>_audit` in the same statement. Every call joins the database's
 * ambient transaction.
 *
 * @example
 * const people = surrealRepository(Person, db);
 * const saved = await people.save(Person.create({ firstName: 'Ada', lastName: 'Lovelace' }));
 */
export class SurrealRepository<
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> implements ModelRepository<N, F, O>
{
  readonly #db: SurrealDatabase;
  /** The relations `fetchRelated`, `relate` and `unrelate` use (as on SQL stores: only `options.schema`). */
  readonly #schema: SchemaRegistry | undefined;
  /** The relations whose fields are record links: `options.schema`, else the one the database prepared. */
  readonly #links: SchemaRegistry | undefined;
  readonly #changedBy: (() => string | null | undefined) | undefined;
  readonly #codec: RecordCodec;
  readonly #codecs = new Map<TableModel, RecordCodec>();
  readonly #rows: RowValues;
  readonly #versions: SurrealVersionedSave | undefined;
  readonly #failed: (error: unknown) => never;
  readonly #keys: readonly ModelColumn[];
  readonly #table: string;
  readonly #live: string;
  readonly #getLive: string;
  readonly #getAny: string;
  readonly #upsert: string;
  readonly #hardDelete: string;

  constructor(
    readonly model: Model<N, F, O>,
    db: SurrealDatabase,
    options: SurrealRepositoryOptions = {},
  ) {
    rejectUnknownKeys('surrealRepository', options, OPTION_KEYS);
    if (model.flags.embedded) {
      invalidOption('surrealRepository', 'model', `${model.name} is embedded: it has no table`);
    }
    const loose = model as unknown as Model;
    this.#db = db;
    this.#schema = options.schema;
    this.#links = options.schema ?? db.registry;
    this.#changedBy = options.changedBy;
    this.#codec = new RecordCodec(loose, this.#links);
    this.#codecs.set(model, this.#codec);
    this.#rows = new RowValues(loose, this.#links);
    this.#failed = constraintFailure(model);
    this.#versions = model.flags.versioned
      ? new SurrealVersionedSave(loose, this.#codec, db, this.#rows, this.#failed)
      : undefined;
    this.#keys = keyColumnsOf(model);
    this.#table = field(model.table);
    const live = liveCondition(model);
    this.#live = live === '' ? '' : ` WHERE ${live}`;
    this.#getLive = `SELECT * FROM $id${this.#live}`;
    this.#getAny = 'SELECT * FROM $id';
    this.#upsert = model.flags.timestamps
      ? '{ LET $at = (SELECT VALUE created_at FROM ONLY $id); UPSERT $id CONTENT $doc RETURN NONE; ' +
        'IF $at { UPDATE $id SET created_at = $at RETURN NONE }; RETURN $at; }'
      : 'UPSERT $id CONTENT $doc RETURN NONE';
    this.#hardDelete =
      model.flags.versioned && model.auditTable !== undefined
        ? `{ LET $b = (DELETE ONLY $id RETURN BEFORE); IF $b { ${auditCopy(loose)} }; RETURN IF $b { true } ELSE { false }; }`
        : 'RETURN array::len((DELETE $id RETURN BEFORE)) > 0';
  }

  // ——— reads ———

  /** The entity with this id; NotFoundError `ENTITY_NOT_FOUND` when there is none (or it was deleted). */
  async get<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<EntityOf<F, O> & R> {
    const found = await this.getOrNone<R>(id, options);
    if (found === undefined) throw entityNotFound(this.model.name, id);
    return found;
  }

  /** The entity with this id, or undefined. */
  async getOrNone<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    const rid = this.#codec.recordId(id);
    const plan = this.#plan(options);
    const where = options.includeDeleted === true ? '' : this.#live;
    const text =
      plan === undefined && !this.#db.inTransaction
        ? where === ''
          ? this.#getAny
          : this.#getLive
        : this.#byKeys('$id', plan, where);
    const [docs] = await this.#db.query<[Doc[]]>(text, { id: rid });
    const doc = docs[0];
    return doc === undefined ? undefined : (this.#entity(doc, plan) as EntityOf<F, O> & R);
  }

  /** Whether an entity with this id exists (and is not deleted, unless `includeDeleted`). */
  async contains(id: IdOf<F, O>, options: ReadOptions = {}): Promise<boolean> {
    const rid = this.#codec.recordId(id);
    const where = options.includeDeleted === true ? '' : this.#live;
    const [found] = await this.#db.query<[unknown[]]>(`SELECT VALUE id FROM $id${where}`, {
      id: rid,
    });
    return found.length > 0;
  }

  /** The entities with these ids that exist, in no particular order. */
  async range<R extends object = Related>(
    ids: readonly IdOf<F, O>[],
    options: ReadOptions = {},
  ): Promise<(EntityOf<F, O> & R)[]> {
    if (!Array.isArray(ids)) misuse('INVALID_QUERY', 'ids', 'expected an array of ids');
    if (ids.length === 0) return [];
    const rids = ids.map((id, i) => this.#codec.recordId(id, `ids.${i}`));
    const plan = this.#plan(options);
    const where = options.includeDeleted === true ? '' : this.#live;
    const [docs] = await this.#db.query<[Doc[]]>(this.#byKeys('$ids', plan, where), { ids: rids });
    return docs.map((d) => this.#entity(d, plan)) as (EntityOf<F, O> & R)[];
  }

  /** The first entity matching, or undefined. */
  async getOne<R extends object = Related>(
    where: Where<EntityOf<F, O>>,
    options: ReadOptions & Pick<ManyOptions<EntityOf<F, O>>, 'sort'> = {},
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    const [first] = await this.getMany<R>({ ...options, where, limit: 1 });
    return first;
  }

  /** Entities matching `where`, sorted, limited, offset. */
  async getMany<R extends object = Related>(
    options: ManyOptions<EntityOf<F, O>> = {},
  ): Promise<(EntityOf<F, O> & R)[]> {
    const plan = this.#plan(options);
    const writer = new ConditionWriter(this.#codec);
    const where = writer.where(
      compileWhere(this.model, options.where),
      options.includeDeleted !== true,
    );
    const order =
      options.offset === undefined
        ? compileSort(this.model, options.sort)
        : this.#stableOrder(options.sort);
    let tail = writer.order(order);
    if (options.limit !== undefined)
      tail += ` LIMIT ${writer.bind(checkCount(options.limit, 'limit', 0))}`;
    if (options.offset !== undefined) {
      tail += ` START ${writer.bind(checkCount(options.offset, 'offset', 0))}`;
    }
    const text = this.#select(this.#table, plan, where, tail);
    const [docs] = await this.#db.query<[Doc[]]>(text, writer.bindings);
    return docs.map((d) => this.#entity(d, plan)) as (EntityOf<F, O> & R)[];
  }

  /** How many entities match `where`. */
  async count(where?: Where<EntityOf<F, O>>, options: ReadOptions = {}): Promise<number> {
    const writer = new ConditionWriter(this.#codec);
    const condition = writer.where(
      compileWhere(this.model, where),
      options.includeDeleted !== true,
    );
    const [rows] = await this.#db.query<[{ count: number }[]]>(
      `SELECT count() FROM ${this.#table}${condition} GROUP ALL`,
      writer.bindings,
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** One page of matches and the total over all pages: both in one query. `pageSize` 1 to 1000 (20). */
  async search<R extends object = Related>(
    options: SearchOptions<EntityOf<F, O>> = {},
  ): Promise<Page<EntityOf<F, O> & R>> {
    const plan = this.#plan(options);
    const page = checkCount(options.page ?? 1, 'page', 1);
    const size = checkCount(options.pageSize ?? 20, 'pageSize', 1);
    if (size > MAX_PAGE_SIZE) {
      invalidValue('PAGE_SIZE_EXCEEDED', 'pageSize', `must be at most ${MAX_PAGE_SIZE}`);
    }
    const writer = new ConditionWriter(this.#codec);
    const where = writer.where(
      compileWhere(this.model, options.where),
      options.includeDeleted !== true,
    );
    const order = writer.order(this.#stableOrder(options.sort));
    const tail = `${order} LIMIT ${writer.bind(size)} START ${writer.bind((page - 1) * size)}`;
    const text =
      `${this.#select(this.#table, plan, where, tail)};\n` +
      `SELECT count() FROM ${this.#table}${where} GROUP ALL`;
    const [docs, counted] = await this.#db.query<[Doc[], { count: number }[]]>(
      text,
      writer.bindings,
    );
    const items = docs.map((d) => this.#entity(d, plan)) as (EntityOf<F, O> & R)[];
    return { items, total: Number(counted[0]?.count ?? 0) };
  }

  /** Every version of a versioned entity, oldest first; UsageError `NO_HISTORY` without audit. */
  async history(entityId: string): Promise<EntityOf<F, O>[]> {
    const audit = this.model.auditTable;
    if (audit === undefined) {
      misuse('NO_HISTORY', 'history', `${this.model.name} keeps no history (versioned with audit)`);
    }
    const rid = this.#codec.recordId(entityId, 'entityId');
    const [past, current] = await this.#db.query<[Doc[], Doc[]]>(
      `SELECT * FROM ${field(audit)} WHERE entity_id = $key; SELECT * FROM $id;`,
      { key: entityId, id: rid },
    );
    const versions = [...past, ...current].map((doc) => {
      const entity = this.#codec.fromDoc(doc);
      entity.entityId = entityId;
      return entity;
    });
    return orderVersions(versions) as EntityOf<F, O>[];
  }

  // ——— writes ———

  /** Inserts or updates; returns the entity as saved (a new object). Versioned: a new version, or a ConflictError. */
  async save(entity: EntityOf<F, O>, options: SaveOptions = {}): Promise<EntityOf<F, O>> {
    this.#noMessage('save', options);
    return this.#save(entity, options);
  }

  async #save(entity: EntityOf<F, O>, options: SaveOptions): Promise<EntityOf<F, O>> {
    checkEntity(entity, 'entity');
    if (this.#versions !== undefined) {
      return (await this.#versions.save(
        entity as Entity,
        savedBy(options, this.#changedBy),
      )) as EntityOf<F, O>;
    }
    const stamped = this.#rows.stamped(entity as Entity, new Date(), null, false);
    const [created] = await this.#db
      .write<[unknown]>(this.#upsert, {
        id: this.#codec.recordIdOfEntity(stamped),
        doc: this.#codec.toDoc(stamped),
      })
      .catch(this.#failed);
    if (this.model.flags.timestamps && created) {
      stamped.createdAt = this.#codec.fromDoc({ created_at: created }).createdAt;
    }
    unsaved.delete(entity);
    return stamped as EntityOf<F, O>;
  }

  /** Saves each, in one transaction; returns them as saved. */
  async saveAll(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    this.#noMessage('saveAll', options);
    return this.#db.transaction(async () => {
      const saved: EntityOf<F, O>[] = [];
      for (const entity of entities) saved.push(await this.#save(entity, options));
      return saved;
    });
  }

  /** Deletes: a new inactive version (versioned), `deletedAt` (softDelete), or removal. */
  async delete(
    entity: EntityOf<F, O>,
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O> | undefined> {
    this.#noMessage('delete', options);
    return this.#delete(entity, options);
  }

  async #delete(entity: EntityOf<F, O>, options: SaveOptions): Promise<EntityOf<F, O> | undefined> {
    checkEntity(entity, 'entity');
    if (this.#versions !== undefined) {
      const inactive = { ...(entity as Entity), active: false };
      return (await this.#versions.save(
        inactive,
        savedBy(options, this.#changedBy),
        entity,
      )) as EntityOf<F, O>;
    }
    const id = this.model.idOf(entity);
    if (this.model.flags.softDelete) {
      const rid = this.#codec.recordId(id, 'entity');
      const updated = this.model.flags.timestamps ? ', updated_at = $now' : '';
      const [docs] = await this.#db.write<[Doc[]]>(
        `UPDATE $id SET deleted_at = $now${updated}${this.#live} RETURN AFTER`,
        { id: rid, now: new Date() },
      );
      const doc = docs[0];
      if (doc === undefined) throw entityNotFound(this.model.name, id);
      return this.#codec.fromDoc(doc) as EntityOf<F, O>;
    }
    await this.hardDelete(id);
    return undefined;
  }

  /** Deletes each, in one transaction. */
  async deleteAll(entities: readonly EntityOf<F, O>[], options: SaveOptions = {}): Promise<void> {
    this.#noMessage('deleteAll', options);
    await this.#db.transaction(async () => {
      for (const entity of entities) await this.#delete(entity, options);
    });
  }

  /** Removes the record for good (a versioned entity's current version joins its history). */
  async hardDelete(id: IdOf<F, O>): Promise<boolean> {
    const rid = this.#codec.recordId(id);
    const [removed] = await this.#db.write<[boolean]>(this.#hardDelete, { id: rid, key: id });
    return removed === true;
  }

  /** Inserts new entities in one statement; a duplicate key is an AlreadyExistsError and nothing is inserted. */
  async bulkCreate(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    this.#noMessage('bulkCreate', options);
    if (entities.length === 0) return [];
    const now = new Date();
    const by = savedBy(options, this.#changedBy);
    const rows = entities.map((e) => this.#rows.stamped(e as Entity, now, by, true));
    const records = rows.map((row) => this.#codec.toRecord(row));
    await this.#db
      .write(`INSERT INTO ${this.#table} $rows RETURN NONE`, { rows: records })
      .catch(this.#failed);
    for (const e of entities) unsaved.delete(e);
    return rows as EntityOf<F, O>[];
  }

  // ——— many-to-many ———

  /** Pairs `entity` with `other` by a graph edge of relation `name` (idempotent: one edge per pair). */
  async relate(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): Promise<void> {
    const [from, edge, to] = this.#edge(name, entity, other);
    await this.#db.write('RELATE $from->$edge->$to RETURN NONE', { from, edge, to });
  }

  /** Removes the pair's edge; returns whether it was there. */
  async unrelate(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): Promise<boolean> {
    const [, edge] = this.#edge(name, entity, other);
    const [removed] = await this.#db.write<[boolean]>(
      'RETURN array::len((DELETE $edge RETURN BEFORE)) > 0',
      { edge },
    );
    return removed === true;
  }

  // ——— internals ———

  /** The edge of a pair: `in`, its id (`<through>:[in key, out key]`), `out`. */
  #edge(name: string, entity: object, other: object): [RecordId, RecordId, RecordId] {
    if (this.#schema === undefined) {
      misuse(
        'NO_SCHEMA_REGISTRY',
        'name',
        `${this.model.name}'s repository has no schema registry with relations`,
      );
    }
    const relation = this.#schema.relationsOf(this.model).get(name);
    if (relation?.kind !== 'manyToMany') {
      misuse(
        'UNKNOWN_RELATION',
        'name',
        `${name} is not a many-to-many relation of ${this.model.name}`,
      );
    }
    checkEntity(entity, 'entity');
    checkEntity(other, 'other');
    const ownKey = this.#keys[0] as ModelColumn;
    const otherKey = keyColumnsOf(relation.target)[0] as ModelColumn;
    const own = (entity as Entity)[ownKey.property];
    const theirs = (other as Entity)[otherKey.property];
    checkKey(ownKey, own, 'entity');
    checkKey(otherKey, theirs, 'other');
    const mine = RecordCodec.linkTo(this.model.table, own);
    const yours = RecordCodec.linkTo(relation.target.table, theirs);
    const [from, to] = edgeOut(relation as ManyToManyRelation) ? [mine, yours] : [yours, mine];
    return [from, new RecordId(relation.through, [from.id, to.id]), to];
  }

  /**
   * A read by record ids (`$id`, `$ids`): from the records themselves; inside a transaction
   * from the table (`WHERE id IN […]`), since SurrealDB 3.0 returns records written earlier in
   * the same transaction without their `id` when they are selected by id, and misses them
   * with `WHERE id = …`.
   */
  #byKeys(ids: '$id' | '$ids', plan: RelatedPlan | undefined, where: string): string {
    if (!this.#db.inTransaction) return this.#select(ids, plan, where);
    const match = ids === '$id' ? 'id IN [$id]' : 'id IN $ids';
    const condition = where === '' ? ` WHERE ${match}` : `${where} AND ${match}`;
    return this.#select(this.#table, plan, condition);
  }

  /** `SELECT * (and related) FROM source WHERE … ORDER/LIMIT … FETCH …`. */
  #select(source: string, plan: RelatedPlan | undefined, where: string, tail = ''): string {
    if (plan === undefined) return `SELECT * FROM ${source}${where}${tail}`;
    const related = relatedSelect(plan, (r) => edgeOut(r as ManyToManyRelation));
    return `SELECT *${related.projections} FROM ${source}${where}${tail}${related.fetch}`;
  }

  #entity(doc: Doc, plan: RelatedPlan | undefined): Entity {
    const entity = this.#codec.fromDoc(doc);
    if (plan !== undefined) attachRelated(plan, (m) => this.#codecOf(m), doc, entity);
    return entity;
  }

  #codecOf(model: TableModel): RecordCodec {
    let codec = this.#codecs.get(model);
    if (codec === undefined) {
      codec = new RecordCodec(model as Model, this.#links);
      this.#codecs.set(model, codec);
    }
    return codec;
  }

  #plan(options: ReadOptions): RelatedPlan | undefined {
    return options.fetchRelated === undefined || options.fetchRelated.length === 0
      ? undefined
      : planRelated(this.#schema, this.model, options.fetchRelated);
  }

  /** The sort asked for, then the key: pages neither repeat nor skip records with equal keys. */
  #stableOrder(sort: unknown): SortItem[] {
    const order = compileSort(this.model, sort);
    for (const column of this.#keys) {
      if (!order.some((item) => item.column === column)) order.push({ column, descending: false });
    }
    return order;
  }

  #noMessage(method: string, options: SaveOptions): void {
    if (options?.message !== undefined) {
      misuse(
        'NO_OUTBOX',
        `${this.model.name} repository.${method}`,
        'options.message needs an outbox, which SurrealDB repositories do not have: publish after the write',
      );
    }
  }
}

/**
 * The repository of a model on a SurrealDB database.
 *
 * @example
 * const people = surrealRepository(Person, db, { schema });
 */
export function surrealRepository<N extends string, F extends Fields, O extends ModelOptions<F>>(
  model: Model<N, F, O>,
  db: SurrealDatabase,
  options?: SurrealRepositoryOptions,
): SurrealRepository<N, F, O> {
  return new SurrealRepository(model, db, options);
}
