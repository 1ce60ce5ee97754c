import { randomUUID } from 'node:crypto';
import { invalidValue, misuse } from '../data/data-errors.js';
import { orderVersions } from '../data/entity-history.js';
import { checkCount, checkEntity, checkKey, keyColumnsOf } from '../data/entity-keys.js';
import { type Model, type ModelColumn, unsaved } from '../data/model.js';
import type { ModelRepository } from '../data/model-repository.js';
import type { EntityOf, Fields, IdOf, ModelOptions } from '../data/model-types.js';
import { planRelated, type RelatedPlan } from '../data/relation-loader.js';
import type {
  ManyOptions,
  Page,
  ReadOptions,
  RepositoryOptions,
  SaveOptions,
  SearchOptions,
} from '../data/repository-options.js';
import { entityNotFound, markReplaced, savedBy, staleSave } from '../data/save-outcomes.js';
import type { SchemaRegistry } from '../data/schema-registry.js';
import type { Where } from '../data/where-clause.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../errors/domain-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { DynamoAccess } from './dynamo-access.js';
import { ExpressionParts } from './dynamo-expressions.js';
import { attributeValue, type Item, type ItemCodec } from './dynamo-items.js';
import { planRead, type ReadPlan, unsupportedQuery } from './dynamo-read-plan.js';
import { batchGet, countItems, decodeCursor, encodeCursor, readItems } from './dynamo-reads.js';
import { DynamoRelations, isLive } from './dynamo-relations.js';
import type { ModelTables } from './dynamo-tables.js';
import type { TransactionWrite, WriteCondition } from './dynamo-transaction.js';

type Related = Record<never, never>;
type Entity = Record<string, unknown>;

const OPTION_KEYS = new Set(['schema', 'changedBy']);
const NO_OPTIONS: ReadOptions = Object.freeze({});
const MAX_PAGE_SIZE = 1000;

/** Options of a DynamoDB repository: the registry of its relations, the default author. */
export type DynamoRepositoryOptions = Pick<RepositoryOptions, 'schema' | 'changedBy'>;

/** Options of {@link DynamoRepository.page}. */
export interface CursorPageOptions<E> extends ReadOptions {
  readonly where?: Where<E>;
  /** Only the range key of the index the query uses (see docs/dynamodb.md). */
  readonly sort?: ManyOptions<E>['sort'];
  /** 1 to 1000 (default 20). */
  readonly pageSize?: number;
  /** The `cursor` of the page before; none for the first page. */
  readonly cursor?: string | undefined;
  /** Count every match too (a second read of every match: ask only when shown). */
  readonly total?: boolean;
}

/** One page read by cursor: `cursor` is there when more may follow. */
export interface CursorPage<E> {
  readonly items: E[];
  readonly cursor: string | undefined;
  /** Only when `total: true` was asked. */
  readonly total?: number;
}

/**
 * The repository of a model on DynamoDB: the `ModelRepository` API over the model's table
 * (and `<table>_audit`, every version of a versioned entity). Reads by key are GetItem and
 * BatchGetItem; reads with conditions a Query when `where` has equality on a table or index
 * hash key, else a Scan with a filter; what DynamoDB cannot do (a sort no key gives, offset,
 * caseless or ends-with text) is refused with UsageError `UNSUPPORTED_QUERY`, never done by
 * reading everything. Versioned saves are conditional on the version read (ConflictError
 * `STALE_VERSION`); writes join the store's ambient transaction, sent as one
 * TransactWriteItems when it ends. `page()` reads by cursor (`LastEvaluatedKey`).
 */
export class DynamoRepository<
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> implements ModelRepository<N, F, O>
{
  readonly model: Model<N, F, O>;
  readonly #db: DynamoAccess;
  readonly #tables: ModelTables;
  readonly #codec: ItemCodec;
  readonly #keys: readonly ModelColumn[];
  readonly #schema: SchemaRegistry | undefined;
  readonly #changedBy: (() => string | null | undefined) | undefined;
  readonly #relations: DynamoRelations;
  readonly #consistent: boolean;

  constructor(model: Model<N, F, O>, db: DynamoAccess, options: DynamoRepositoryOptions = {}) {
    rejectUnknownKeys('DynamoRepository', options, OPTION_KEYS);
    if (model.flags.embedded) {
      invalidOption('DynamoRepository', 'model', `${model.name} is embedded: it has no table`);
    }
    this.model = model;
    this.#db = db;
    this.#schema = options.schema;
    this.#changedBy = options.changedBy;
    this.#tables = db.tables.of(model, options.schema);
    this.#relations = new DynamoRelations(db, options.schema);
    this.#codec = this.#relations.codecOf(model);
    this.#keys = keyColumnsOf(model);
    this.#consistent = db.settings.consistentRead;
  }

  /** The table, its versions table and indexes, as prepared. */
  get tables(): ModelTables {
    return this.#tables;
  }

  // ——— reads ———

  async get<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<EntityOf<F, O> & R> {
    const found = await this.getOrNone<R>(id, options);
    if (found !== undefined) return found;
    throw new NotFoundError(`${this.model.name} not found`, {
      code: 'ENTITY_NOT_FOUND',
      details: [{ resource: this.model.name, id: id as string }],
    });
  }

  async getOrNone<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    const item = await this.#getItem(this.#key(id, 'id'));
    if (item === undefined || (options.includeDeleted !== true && !isLive(this.model, item))) {
      return undefined;
    }
    const entity = this.#codec.fromItem(item);
    if (options !== NO_OPTIONS) await this.#attach(options, [entity]);
    return entity as EntityOf<F, O> & R;
  }

  async contains(id: IdOf<F, O>, options: ReadOptions = NO_OPTIONS): Promise<boolean> {
    const item = await this.#getItem(this.#key(id, 'id'));
    return item !== undefined && (options.includeDeleted === true || isLive(this.model, item));
  }

  async range<R extends object = Related>(
    ids: readonly IdOf<F, O>[],
    options: ReadOptions = NO_OPTIONS,
  ): Promise<(EntityOf<F, O> & R)[]> {
    if (!Array.isArray(ids)) misuse('INVALID_QUERY', 'ids', 'expected an array of ids');
    const keys = ids.map((id, i) => this.#key(id, `ids.${i}`));
    // BatchGetItem refuses a key twice.
    const byText = new Map(keys.map((k) => [this.#target(k), k]));
    const distinct = [...byText.values()];
    const items = await batchGet(this.#db, this.#tables.table, distinct, this.#consistent);
    const entities = items
      .filter((i) => options.includeDeleted === true || isLive(this.model, i))
      .map((i) => this.#codec.fromItem(i));
    await this.#attach(options, entities);
    return entities as (EntityOf<F, O> & R)[];
  }

  async getOne<R extends object = Related>(
    where: Where<EntityOf<F, O>>,
    options: ReadOptions & Pick<ManyOptions<EntityOf<F, O>>, 'sort'> = {},
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    const [first] = await this.getMany<R>({ ...options, where, limit: 1 });
    return first;
  }

  async getMany<R extends object = Related>(
    options: ManyOptions<EntityOf<F, O>> = {},
  ): Promise<(EntityOf<F, O> & R)[]> {
    const limit = options.limit === undefined ? undefined : checkCount(options.limit, 'limit', 0);
    if (options.offset !== undefined && checkCount(options.offset, 'offset', 0) > 0) {
      unsupportedQuery(
        'offset',
        'DynamoDB cannot skip items without reading them: page with page() and its cursor',
      );
    }
    const related = this.#plan(options);
    const plan = this.#planRead(options.where, options.sort, options);
    const { items } = await readItems(this.#db, plan, limit, undefined);
    const entities = items.map((i) => this.#codec.fromItem(i));
    if (related !== undefined) await this.#relations.load(related, entities);
    return entities as (EntityOf<F, O> & R)[];
  }

  count(where?: Where<EntityOf<F, O>>, options: ReadOptions = NO_OPTIONS): Promise<number> {
    try {
      return countItems(this.#db, this.#planRead(where, undefined, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The first page of matches and the total (a count of every match, beside the page).
   * Pages after the first are refused (UsageError `UNSUPPORTED_QUERY`): DynamoDB cannot skip
   * items; {@link page} reads on from a cursor, and counts only when asked.
   */
  async search<R extends object = Related>(
    options: SearchOptions<EntityOf<F, O>> = {},
  ): Promise<Page<EntityOf<F, O> & R>> {
    const page = checkCount(options.page ?? 1, 'page', 1);
    const size = this.#pageSize(options.pageSize);
    if (page > 1) {
      unsupportedQuery(
        'page',
        'DynamoDB cannot skip to page n without reading the pages before it: use page() and its cursor',
      );
    }
    const related = this.#plan(options);
    const plan = this.#planRead(options.where, options.sort, options);
    const [{ items }, total] = await Promise.all([
      readItems(this.#db, plan, size, undefined),
      countItems(this.#db, plan),
    ]);
    const entities = items.map((i) => this.#codec.fromItem(i));
    if (related !== undefined) await this.#relations.load(related, entities);
    return { items: entities as (EntityOf<F, O> & R)[], total };
  }

  /**
   * One page of matches by cursor: the first without `cursor`, the next with the `cursor` of
   * the one before (DynamoDB's `LastEvaluatedKey`, opaque). The total only with `total: true`.
   *
   * @example
   * let page = await people.page({ where: { orgId }, pageSize: 50 });
   * while (page.cursor) page = await people.page({ where: { orgId }, pageSize: 50, cursor: page.cursor });
   */
  async page<R extends object = Related>(
    options: CursorPageOptions<EntityOf<F, O>> = {},
  ): Promise<CursorPage<EntityOf<F, O> & R>> {
    const size = this.#pageSize(options.pageSize);
    const related = this.#plan(options);
    const plan = this.#planRead(options.where, options.sort, options);
    const start =
      options.cursor === undefined ? undefined : decodeCursor(options.cursor, plan.positionKeys);
    const [{ items, next }, total] = await Promise.all([
      readItems(this.#db, plan, size, start),
      options.total === true ? countItems(this.#db, plan) : undefined,
    ]);
    const entities = items.map((i) => this.#codec.fromItem(i));
    if (related !== undefined) await this.#relations.load(related, entities);
    return {
      items: entities as (EntityOf<F, O> & R)[],
      cursor: next === undefined ? undefined : encodeCursor(next),
      ...(total === undefined ? {} : { total }),
    };
  }

  async history(entityId: string): Promise<EntityOf<F, O>[]> {
    const table = this.#tables.versions;
    if (table === undefined) {
      misuse('NO_HISTORY', 'history', `${this.model.name} keeps no history (versioned with audit)`);
    }
    const key = this.#key(entityId, 'entityId');
    const parts = new ExpressionParts();
    const hash = this.#tables.hash.name;
    const plan: ReadPlan = {
      operation: 'query',
      input: {
        TableName: table,
        KeyConditionExpression: `${parts.name(hash)} = ${parts.value(key[hash])}`,
        ...(this.#consistent ? { ConsistentRead: true } : {}),
        ...parts.input(),
      },
      positionKeys: [],
      filtered: false,
      index: undefined,
      post: [],
    };
    const { items } = await readItems(this.#db, plan, undefined, undefined);
    return orderVersions(items.map((i) => this.#codec.fromItem(i))) as EntityOf<F, O>[];
  }

  // ——— writes ———

  save(entity: EntityOf<F, O>, options: SaveOptions = {}): Promise<EntityOf<F, O>> {
    try {
      this.#noMessage('save', options);
      checkEntity(entity, 'entity');
      const by = savedBy(options, this.#changedBy);
      const record = entity as Entity;
      if (this.model.flags.versioned)
        return this.#saveVersion(record, by, record) as Promise<EntityOf<F, O>>;
      return this.#upsert(record) as Promise<EntityOf<F, O>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  saveAll(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    return this.#db.transaction(async () => {
      const saved: EntityOf<F, O>[] = [];
      for (const entity of entities) saved.push(await this.save(entity, options));
      return saved;
    });
  }

  async delete(
    entity: EntityOf<F, O>,
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O> | undefined> {
    this.#noMessage('delete', options);
    checkEntity(entity, 'entity');
    const record = entity as Entity;
    if (this.model.flags.versioned) {
      return (await this.#saveVersion(
        { ...record, active: false },
        savedBy(options, this.#changedBy),
        record,
      )) as EntityOf<F, O>;
    }
    const id = this.model.idOf(entity);
    if (this.model.flags.softDelete) return (await this.#softDelete(id)) as EntityOf<F, O>;
    await this.hardDelete(id);
    return undefined;
  }

  deleteAll(entities: readonly EntityOf<F, O>[], options: SaveOptions = {}): Promise<void> {
    return this.#db.transaction(async () => {
      for (const entity of entities) await this.delete(entity, options);
    });
  }

  async hardDelete(id: IdOf<F, O>): Promise<boolean> {
    const key = this.#key(id, 'id');
    const table = this.#tables.table;
    const tx = this.#db.current();
    if (tx !== undefined) {
      const existed = (await this.#getItem(key)) !== undefined;
      this.#join({
        item: { Delete: { TableName: table, Key: key } },
        target: this.#target(key),
        condition: undefined,
        conflict: () => entityNotFound(this.model.name, id),
      });
      return existed;
    }
    const out = await this.#db.send<{ Attributes?: Item }>(
      new this.#db.sdk.DeleteCommand({ TableName: table, Key: key, ReturnValues: 'ALL_OLD' }),
      table,
    );
    return out.Attributes !== undefined;
  }

  /**
   * Inserts new entities in one TransactWriteItems (so at most 100 items: 50 versioned
   * entities); a key that exists is an AlreadyExistsError `DUPLICATE_KEY` and nothing is written.
   */
  async bulkCreate(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    this.#noMessage('bulkCreate', options);
    if (entities.length === 0) return [];
    const now = new Date();
    const by = savedBy(options, this.#changedBy);
    return this.#db.transaction(async () => {
      const saved: EntityOf<F, O>[] = [];
      for (const [i, e] of entities.entries()) checkEntity(e, `entities.${i}`);
      for (const entity of entities) {
        const record: Entity = { ...(entity as Entity) };
        if (this.model.flags.timestamps) {
          record.createdAt = now;
          record.updatedAt = now;
        }
        if (this.model.flags.versioned) {
          record.changedOn = now;
          record.changedById = by;
        }
        this.#insertWrites(record, entity as object);
        saved.push(record as EntityOf<F, O>);
      }
      return saved;
    });
  }

  // ——— many-to-many ———

  async relate(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): Promise<void> {
    const { pair, item } = this.#relations.pairItem(this.model, name, entity, other);
    const tx = this.#db.current();
    if (tx !== undefined) {
      this.#join({
        item: { Put: { TableName: pair.table, Item: item } },
        target: `${pair.table} ${JSON.stringify([item[pair.hash.name], item[pair.range.name]])}`,
        condition: undefined,
        conflict: () => new ConflictError('relate failed'),
      });
      return;
    }
    await this.#db.send(
      new this.#db.sdk.PutCommand({ TableName: pair.table, Item: item }),
      pair.table,
    );
  }

  async unrelate(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): Promise<boolean> {
    const { pair, item } = this.#relations.pairItem(this.model, name, entity, other);
    const key = {
      [pair.hash.name]: item[pair.hash.name],
      [pair.range.name]: item[pair.range.name],
    };
    const tx = this.#db.current();
    if (tx !== undefined) {
      const { GetCommand } = this.#db.sdk;
      const there = await this.#db.send<{ Item?: Item }>(
        new GetCommand({ TableName: pair.table, Key: key, ConsistentRead: true }),
        pair.table,
      );
      this.#join({
        item: { Delete: { TableName: pair.table, Key: key } },
        target: `${pair.table} ${JSON.stringify([key[pair.hash.name], key[pair.range.name]])}`,
        condition: undefined,
        conflict: () => new ConflictError('unrelate failed'),
      });
      return there.Item !== undefined;
    }
    const out = await this.#db.send<{ Attributes?: Item }>(
      new this.#db.sdk.DeleteCommand({ TableName: pair.table, Key: key, ReturnValues: 'ALL_OLD' }),
      pair.table,
    );
    return out.Attributes !== undefined;
  }

  // ——— versioned saves ———

  /**
   * Saves the next version of a versioned entity: the table's item on the condition that it
   * is still at the version read, and the version's own item in `<table>_audit`, in one
   * TransactWriteItems (one conditional PutItem without audit). An entity from `create` is
   * inserted on the condition that its id is new.
   */
  async #saveVersion(record: Entity, by: string | null, origin: object): Promise<Entity> {
    checkKey(this.#keys[0] as ModelColumn, record.entityId, 'entityId');
    checkKey(this.model.column('version') as ModelColumn, record.version, 'version');
    const now = new Date();
    if (unsaved.has(origin)) {
      const saved = this.#stampInsert(record, now, by);
      return this.#insert(saved, origin);
    }
    const next = randomUUID();
    const saved: Entity = {
      ...record,
      version: next,
      previousVersion: record.version,
      changedOn: now,
      changedById: by,
    };
    if (this.model.flags.timestamps) {
      saved.createdAt = record.createdAt ?? now;
      saved.updatedAt = now;
    }
    return this.#update(saved, record.version, origin, record);
  }

  #stampInsert(record: Entity, now: Date, by: string | null): Entity {
    const saved: Entity = { ...record, changedOn: now, changedById: by };
    if (this.model.flags.timestamps) {
      saved.createdAt = now;
      saved.updatedAt = now;
    }
    return saved;
  }

  /** Writes `saved` on the condition that the stored item is at version `read`. */
  async #update(saved: Entity, read: unknown, origin: object, record: Entity): Promise<Entity> {
    const key = this.#key(saved.entityId, 'entityId');
    const target = this.#target(key);
    const tx = this.#db.current();
    if (tx !== undefined) {
      const pending = tx.pending(target);
      if (pending !== undefined) {
        // Saved before in this transaction: the save must start from the version written then.
        if (pending.version !== read)
          throw staleSave(this.model.name, record, pending.version as string, origin);
        this.#joinVersion(saved, key, pending.condition, origin, record);
        return saved;
      }
      // Nothing is sent before the end: what the save is (an insert, an update, a prepared
      // version, a stale one) is read now, and the condition keeps it true until the write.
      const stored = await this.#getItem(key);
      if (stored === undefined) {
        if (await this.#hadVersions(saved.entityId))
          throw staleSave(this.model.name, record, null, origin);
        const now = saved.changedOn as Date;
        return this.#insert(
          this.#stampInsert(record, now, saved.changedById as string | null),
          origin,
        );
      }
      if (stored.version === read) {
        this.#joinVersion(saved, key, { attribute: 'version', value: read }, origin, record);
        return saved;
      }
      if (stored.version === record.previousVersion && record.previousVersion !== null) {
        const again: Entity = {
          ...saved,
          version: record.version,
          previousVersion: stored.version,
        };
        this.#joinVersion(
          again,
          key,
          { attribute: 'version', value: stored.version },
          origin,
          record,
        );
        return again;
      }
      throw staleSave(this.model.name, record, stored.version as string, origin);
    }
    const failed = await this.#write([
      this.#currentWrite(saved, key, { attribute: 'version', value: read }, origin, record),
      ...(this.#tables.versions === undefined
        ? []
        : [this.#versionWrite(saved) as TransactionWrite]),
    ]);
    if (failed === undefined) {
      markReplaced(origin, saved.version);
      return saved;
    }
    return this.#unwritten(saved, record, origin, failed.stored);
  }

  #joinVersion(
    saved: Entity,
    key: Item,
    condition: WriteCondition,
    origin: object,
    record: Entity,
  ): void {
    this.#join(this.#currentWrite(saved, key, condition, origin, record));
    const versionWrite = this.#versionWrite(saved);
    if (versionWrite !== undefined) this.#join(versionWrite);
  }

  /** Nothing written: a new entity (inserted), a deleted one, one prepared already, or a stale one. */
  async #unwritten(
    saved: Entity,
    record: Entity,
    origin: object,
    stored: Item | undefined,
  ): Promise<Entity> {
    const current = stored ?? (await this.#getItem(this.#key(saved.entityId, 'entityId')));
    if (current === undefined) {
      if (await this.#hadVersions(saved.entityId))
        throw staleSave(this.model.name, record, null, origin);
      return this.#insert(
        this.#stampInsert(record, saved.changedOn as Date, saved.changedById as string | null),
        origin,
      );
    }
    const version = current.version as string;
    if (version === record.previousVersion && record.previousVersion !== null) {
      // Rotated by prepareForSave: the stored version is the one it was prepared from.
      const again: Entity = { ...saved, version: record.version, previousVersion: version };
      const key = this.#key(saved.entityId, 'entityId');
      const failed = await this.#write([
        this.#currentWrite(again, key, { attribute: 'version', value: version }, origin, record),
        ...(this.#tables.versions === undefined
          ? []
          : [this.#versionWrite(again) as TransactionWrite]),
      ]);
      if (failed === undefined) {
        markReplaced(origin, again.version);
        return again;
      }
    }
    throw staleSave(this.model.name, record, version, origin);
  }

  async #hadVersions(entityId: unknown): Promise<boolean> {
    const table = this.#tables.versions;
    if (table === undefined) return false;
    const parts = new ExpressionParts();
    const out = await this.#db.send<{ Count?: number }>(
      new this.#db.sdk.QueryCommand({
        TableName: table,
        KeyConditionExpression: `${parts.name(this.#tables.hash.name)} = ${parts.value(entityId)}`,
        Limit: 1,
        Select: 'COUNT',
        ...parts.input(),
      } as never),
      table,
    );
    return (out.Count ?? 0) > 0;
  }

  async #insert(saved: Entity, origin: object): Promise<Entity> {
    if (this.#db.current() !== undefined) {
      this.#insertWrites(saved, origin);
      return saved;
    }
    const writes = this.#insertTransactionWrites(saved, origin);
    const failed = await this.#write(writes);
    if (failed !== undefined) throw failed.error;
    unsaved.delete(origin);
    return saved;
  }

  /** The writes of an insert, joined to the ambient transaction. */
  #insertWrites(saved: Entity, origin: object): void {
    for (const w of this.#insertTransactionWrites(saved, origin)) this.#join(w);
  }

  #insertTransactionWrites(saved: Entity, origin: object): TransactionWrite[] {
    const key = this.#key(this.model.idOf(saved as EntityOf<F, O>), 'entity');
    const target = this.#target(key);
    const pending = this.#db.current()?.pending(target);
    if (pending !== undefined) throw this.#duplicate(saved);
    const item = this.#codec.toItem(saved);
    const parts = new ExpressionParts();
    const writes: TransactionWrite[] = [
      {
        item: {
          Put: {
            TableName: this.#tables.table,
            Item: item,
            ConditionExpression: `attribute_not_exists(${parts.name(this.#tables.hash.name)})`,
            ...parts.input(),
          },
        },
        target,
        condition: 'absent',
        ...(this.model.flags.versioned ? { version: saved.version } : {}),
        conflict: () => this.#duplicate(saved),
        committed: () => unsaved.delete(origin),
      },
    ];
    const version = this.#versionWrite(saved);
    if (version !== undefined) writes.push(version);
    return writes;
  }

  /** The table's item of a versioned save, on `condition`. */
  #currentWrite(
    saved: Entity,
    key: Item,
    condition: WriteCondition,
    origin: object,
    record: Entity,
  ): TransactionWrite {
    const parts = new ExpressionParts();
    const expression = this.#condition(parts, condition);
    return {
      item: {
        Put: {
          TableName: this.#tables.table,
          Item: this.#codec.toItem(saved),
          ...(expression === undefined ? {} : { ConditionExpression: expression }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...parts.input(),
        },
      },
      target: this.#target(key),
      condition,
      version: saved.version,
      conflict: (stored) =>
        condition === 'absent'
          ? this.#duplicate(saved)
          : staleSave(
              this.model.name,
              record,
              (stored?.version as string | undefined) ?? null,
              origin,
            ),
      committed: () => markReplaced(origin, saved.version),
    };
  }

  /** The version's item in `<table>_audit`, or undefined without audit. */
  #versionWrite(saved: Entity): TransactionWrite | undefined {
    const table = this.#tables.versions;
    if (table === undefined) return undefined;
    const item = this.#codec.toItem(saved);
    return {
      item: { Put: { TableName: table, Item: item } },
      target: `${table} ${String(saved.entityId)} ${String(saved.version)}`,
      condition: undefined,
      conflict: () => staleSave(this.model.name, saved, null, saved),
    };
  }

  #condition(parts: ExpressionParts, condition: WriteCondition): string | undefined {
    if (condition === undefined) return undefined;
    if (condition === 'absent')
      return `attribute_not_exists(${parts.name(this.#tables.hash.name)})`;
    if (condition === 'present') return `attribute_exists(${parts.name(this.#tables.hash.name)})`;
    return `${parts.name(condition.attribute)} = ${parts.value(condition.value)}`;
  }

  /**
   * Writes outside a transaction: one item with its own command, several in one
   * TransactWriteItems. A failed condition is returned (with the item as stored, when
   * DynamoDB gives it), anything else thrown.
   */
  async #write(
    writes: readonly TransactionWrite[],
  ): Promise<{ stored: Item | undefined; error: Error } | undefined> {
    const { PutCommand, TransactWriteCommand } = this.#db.sdk;
    try {
      if (writes.length === 1) {
        const put = (writes[0] as TransactionWrite).item.Put as Record<string, unknown>;
        await this.#db.send(new PutCommand(put as never), put.TableName as string);
      } else {
        await this.#db.send(
          new TransactWriteCommand({ TransactItems: writes.map((w) => w.item) } as never),
          this.#tables.table,
        );
      }
    } catch (error) {
      const failed = conditionFailure(error, writes);
      if (failed === undefined) throw error;
      return failed;
    }
    return undefined;
  }

  // ——— unversioned writes ———

  /** Inserts or replaces; with timestamps, `createdAt` stays as stored (UpdateItem, if_not_exists). */
  async #upsert(record: Entity): Promise<Entity> {
    const now = new Date();
    const saved: Entity = { ...record };
    if (this.model.flags.timestamps) {
      saved.createdAt = record.createdAt ?? now;
      saved.updatedAt = now;
    }
    const key = this.#key(this.model.idOf(saved as EntityOf<F, O>), 'entity');
    const table = this.#tables.table;
    const item = this.#codec.toItem(saved);
    const tx = this.#db.current();
    const target = this.#target(key);
    // Written before in this transaction: the one write keeps that write's condition.
    const condition = tx?.pending(target)?.condition;
    const parts = new ExpressionParts();
    const expression = this.#condition(parts, condition);
    const request = this.model.flags.timestamps
      ? { Update: this.#updateInput(key, item, parts, expression) }
      : {
          Put: {
            TableName: table,
            Item: item,
            ...(expression === undefined ? {} : { ConditionExpression: expression }),
            ...parts.input(),
          },
        };
    if (tx !== undefined) {
      this.#join({
        item: request,
        target,
        condition,
        conflict: () => this.#duplicate(saved),
        committed: () => unsaved.delete(record),
      });
      return saved;
    }
    if (request.Put !== undefined) {
      await this.#db.send(new this.#db.sdk.PutCommand(request.Put), table);
    } else {
      const out = await this.#db.send<{ Attributes?: Item }>(
        new this.#db.sdk.UpdateCommand({
          ...(request.Update as object),
          ReturnValues: 'UPDATED_NEW',
        } as never),
        table,
      );
      const created = out.Attributes?.created_at;
      if (typeof created === 'string') saved.createdAt = new Date(created);
    }
    unsaved.delete(record);
    return saved;
  }

  /** SET every attribute but the key (`created_at` only if not there), REMOVE the absent ones. */
  #updateInput(
    key: Item,
    item: Item,
    parts: ExpressionParts,
    condition: string | undefined,
  ): Record<string, unknown> {
    const set: string[] = [];
    const remove: string[] = [];
    for (const c of this.model.columns) {
      if (c.column in key) continue;
      const name = parts.name(c.column);
      const value = item[c.column];
      if (value === undefined) remove.push(name);
      else if (c.property === 'createdAt')
        set.push(`${name} = if_not_exists(${name}, ${parts.value(value)})`);
      else set.push(`${name} = ${parts.value(value)}`);
    }
    const expression = [
      set.length === 0 ? '' : `SET ${set.join(', ')}`,
      remove.length === 0 ? '' : `REMOVE ${remove.join(', ')}`,
    ]
      .filter(Boolean)
      .join(' ');
    return {
      TableName: this.#tables.table,
      Key: key,
      UpdateExpression: expression,
      ...(condition === undefined ? {} : { ConditionExpression: condition }),
      ...parts.input(),
    };
  }

  async #softDelete(id: IdOf<F, O>): Promise<Entity> {
    const key = this.#key(id, 'entity');
    const table = this.#tables.table;
    const parts = new ExpressionParts();
    const now = new Date();
    const input = {
      TableName: table,
      Key: key,
      UpdateExpression: `SET ${parts.name('deleted_at')} = ${parts.value(now.toISOString())}`,
      // Deleted already: as not found (as SQL's UPDATE … WHERE deleted_at IS NULL).
      ConditionExpression: `attribute_exists(${parts.name(this.#tables.hash.name)}) AND attribute_not_exists(${parts.name('deleted_at')})`,
      ...parts.input(),
    };
    const tx = this.#db.current();
    if (tx !== undefined) {
      const stored = await this.#getItem(key);
      if (stored === undefined || stored.deleted_at !== undefined)
        throw entityNotFound(this.model.name, id);
      this.#join({
        item: { Update: input },
        target: this.#target(key),
        condition: 'present',
        conflict: () => entityNotFound(this.model.name, id),
      });
      return { ...this.#codec.fromItem(stored), deletedAt: now };
    }
    try {
      const out = await this.#db.send<{ Attributes?: Item }>(
        new this.#db.sdk.UpdateCommand({ ...input, ReturnValues: 'ALL_NEW' } as never),
        table,
      );
      return this.#codec.fromItem(out.Attributes ?? {});
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw entityNotFound(this.model.name, id);
      }
      throw error;
    }
  }

  // ——— internals ———

  #join(write: TransactionWrite): void {
    (this.#db.current() as NonNullable<ReturnType<DynamoAccess['current']>>).add(write);
  }

  async #getItem(key: Item): Promise<Item | undefined> {
    const table = this.#tables.table;
    const out = await this.#db.send<{ Item?: Item }>(
      new this.#db.sdk.GetCommand({ TableName: table, Key: key, ConsistentRead: this.#consistent }),
      table,
    );
    return out.Item;
  }

  /** The item key of an id (one value, or an object of the key fields), checked. */
  #key(id: unknown, path: string): Item {
    const { hash, range } = this.#tables;
    if (range === undefined) {
      checkKey(hash.column, id, path);
      return { [hash.name]: attributeValue(hash.column.codec, id) };
    }
    if (typeof id !== 'object' || id === null) {
      invalidValue(
        'INVALID_KEY',
        path,
        `expected an object of ${hash.column.property}, ${range.column.property}`,
      );
    }
    const out: Item = {};
    for (const k of [hash, range]) {
      const value = (id as Entity)[k.column.property];
      checkKey(k.column, value, `${path}.${k.column.property}`);
      out[k.name] = attributeValue(k.column.codec, value);
    }
    return out;
  }

  #target(key: Item): string {
    return `${this.#tables.table} ${JSON.stringify(key, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`;
  }

  #planRead(where: unknown, sort: unknown, options: ReadOptions): ReadPlan {
    return planRead(this.#tables, where, sort, options.includeDeleted !== true, this.#consistent);
  }

  #plan(options: ReadOptions): RelatedPlan | undefined {
    return options.fetchRelated === undefined || options.fetchRelated.length === 0
      ? undefined
      : planRelated(this.#schema, this.model, options.fetchRelated);
  }

  async #attach(options: ReadOptions, entities: Entity[]): Promise<void> {
    const plan = this.#plan(options);
    if (plan !== undefined) await this.#relations.load(plan, entities);
  }

  #pageSize(value: unknown): number {
    const size = checkCount(value ?? 20, 'pageSize', 1);
    if (size > MAX_PAGE_SIZE) {
      invalidValue('PAGE_SIZE_EXCEEDED', 'pageSize', `must be at most ${MAX_PAGE_SIZE}`);
    }
    return size;
  }

  #noMessage(method: string, options: SaveOptions): void {
    if (options?.message !== undefined) {
      misuse(
        'NO_OUTBOX',
        `${this.model.name} repository.${method}`,
        'DynamoDB repositories have no outbox: send the message after the write',
      );
    }
  }

  #duplicate(entity: Entity): AlreadyExistsError {
    const id = this.model.idOf(entity as EntityOf<F, O>);
    const text = typeof id === 'object' ? JSON.stringify(id) : String(id);
    return new AlreadyExistsError(`${this.model.name} ${text} already exists`, {
      code: 'DUPLICATE_KEY',
      details: [{ resource: this.model.name, id: text }],
    });
  }
}

/**
 * The failed condition of a write, from the SDK's error: a PutItem's
 * `ConditionalCheckFailedException` or a TransactWriteItems' reasons (the first failed one).
 */
export function conditionFailure(
  error: unknown,
  writes: readonly TransactionWrite[],
): { stored: Item | undefined; error: Error } | undefined {
  const e = error as {
    name?: string;
    Item?: unknown;
    CancellationReasons?: { Code?: string; Item?: unknown }[];
  };
  if (e.name === 'ConditionalCheckFailedException') {
    const stored = plainItem(e.Item);
    return { stored, error: (writes[0] as TransactionWrite).conflict(stored) };
  }
  if (e.name !== 'TransactionCanceledException') return undefined;
  const reasons = e.CancellationReasons ?? [];
  const i = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
  if (i < 0) return undefined;
  const stored = plainItem(reasons[i]?.Item);
  return { stored, error: (writes[i] as TransactionWrite).conflict(stored) };
}

/**
 * An item in DynamoDB's own JSON (`{ version: { S: '…' } }`), as errors carry it (the
 * document client does not convert errors), as the document client gives items.
 */
export function plainItem(item: unknown): Item | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const out: Item = {};
  for (const [key, value] of Object.entries(item)) out[key] = plainValue(value);
  return out;
}

function plainValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if ('S' in v) return v.S;
  if ('N' in v) return Number(v.N);
  if ('BOOL' in v) return v.BOOL;
  if ('NULL' in v) return null;
  if ('M' in v) return plainItem(v.M);
  if ('L' in v) return (v.L as unknown[]).map(plainValue);
  return value;
}
