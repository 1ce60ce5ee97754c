import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../errors/domain-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { toColumnValue, toJsonColumnValue } from './field-codec.js';
import { type Model, type ModelColumn, unsaved } from './model.js';
import { type ModelReader, readerOf } from './model-reader.js';
import type { EntityOf, Fields, IdOf, ModelOptions } from './model-types.js';
import type { Relation } from './relation.js';
import { loadRelated, planRelated, type RelatedPlan } from './relation-loader.js';
import type { SchemaRegistry } from './schema-registry.js';
import { quote } from './sql-names.js';
import { compileSort, compileWhere, type SortKey, type Where } from './where-clause.js';

/** Options of {@link repository}. */
export interface RepositoryOptions {
  /** Reads outside a transaction go to replicas when the backend has them (SPEC REPO-11). */
  readonly readFromReplicas?: boolean;
  /** Who is saving, for `changedById` of versioned models, when `save` is not told. */
  readonly changedBy?: () => string | null | undefined;
  /** The registry whose relations `fetchRelated`, `relate` and `unrelate` use. */
  readonly schema?: SchemaRegistry;
}

/** Per-call options of reads. */
export interface ReadOptions {
  /** Read from a replica (HA) for this call; default the repository's setting. */
  readonly replica?: boolean;
  /** Include soft-deleted entities (inactive versions, `deletedAt` set). */
  readonly includeDeleted?: boolean;
  /**
   * Relations to attach, by path (`['organization', 'organization.members']`): one statement
   * per relation and level. Type what they add with the method's type argument.
   */
  readonly fetchRelated?: readonly string[];
}

/** The type argument of reads with `fetchRelated`: the relation properties they add. */
type Related = Record<never, never>;

/** Options of `getMany`. */
export interface ManyOptions<E> extends ReadOptions {
  readonly where?: Where<E>;
  readonly sort?: SortKey<E> | readonly SortKey<E>[];
  readonly limit?: number;
  readonly offset?: number;
}

/** Options of `search` (SPEC REPO-6). */
export interface SearchOptions<E> extends ReadOptions {
  readonly where?: Where<E>;
  readonly sort?: SortKey<E> | readonly SortKey<E>[];
  /** From 1 (default 1). */
  readonly page?: number;
  /** 1 to 1000 (default 20). */
  readonly pageSize?: number;
}

/** One page of a search and the number of matches in all pages. */
export interface Page<E> {
  readonly items: E[];
  readonly total: number;
}

/** Options of writes. */
export interface SaveOptions {
  /** `changedById` of the new version (versioned models). */
  readonly changedById?: string | null;
}

/**
 * What an update of a version writes to the stamp columns, by parameter of the update
 * statement ($2 the version read, $3 the next one, $4 now, $5 changedById); every other
 * column but the key and `createdAt` takes the entity's value.
 */
const VERSION_STAMP: Readonly<Record<string, string>> = {
  version: '$3',
  previousVersion: '$2',
  changedOn: '$4',
  changedById: '$5',
  updatedAt: '$4',
};

const NO_OPTIONS: ReadOptions = Object.freeze({});
const OPTION_KEYS = new Set(['readFromReplicas', 'changedBy', 'schema']);
const MAX_PAGE_SIZE = 1000;

interface ReplicaCapable {
  replica(): DatabaseAdapter;
}

/**
 * The generic repository of a model over the `libretto/postgres` adapters (SPEC REPO-1..7,
 * REPO-9): every call joins the ambient transaction. Versioned models keep each replaced
 * version in `<table>_audit` and refuse to save over a version they did not read
 * (ConflictError); deleting one is a new, inactive version.
 */
export class Repository<
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> {
  readonly #db: DatabaseAdapter;
  readonly #replica: DatabaseAdapter;
  readonly #readFromReplicas: boolean;
  readonly #changedBy: (() => string | null | undefined) | undefined;
  readonly #schema: SchemaRegistry | undefined;
  readonly #reader: ModelReader;
  readonly #select: string;
  readonly #live: string;
  readonly #keyColumns: readonly ModelColumn[];
  readonly #keyWhere: string;
  readonly #getSql: string;
  readonly #getLiveSql: string;
  readonly #versioned: boolean;
  readonly #writeColumns: readonly ModelColumn[];
  /** Versioned save: the columns taken from the entity as they are (not the stamp, not the key). */
  readonly #dataColumns: readonly ModelColumn[];
  readonly #versionColumn: ModelColumn;
  #saveSql: string | undefined;
  #insertSql: string | undefined;

  constructor(
    readonly model: Model<N, F, O>,
    db: DatabaseAdapter,
    options: RepositoryOptions = {},
  ) {
    rejectUnknownKeys('repository', options, OPTION_KEYS);
    if (model.flags.embedded) {
      invalidOption('repository', 'model', `${model.name} is embedded: it has no table`);
    }
    this.#db = db;
    this.#replica = 'replica' in db ? (db as unknown as ReplicaCapable).replica() : db;
    this.#readFromReplicas = options.readFromReplicas === true;
    this.#changedBy = options.changedBy;
    this.#schema = options.schema;
    this.#versioned = model.flags.versioned;
    this.#reader = readerOf(model);
    this.#select = this.#reader.select;
    this.#live = this.#reader.live;
    this.#keyColumns = model.primaryKey.map((p) => model.column(p) as ModelColumn);
    this.#keyWhere = this.#keyColumns.map((c, i) => `${quote(c.column)} = $${i + 1}`).join(' AND ');
    this.#getSql = `SELECT ${this.#select} FROM ${quote(model.table)} WHERE ${this.#keyWhere}`;
    this.#getLiveSql = this.#live === '' ? this.#getSql : `${this.#getSql} AND ${this.#live}`;
    this.#writeColumns = model.columns;
    this.#dataColumns = model.columns.filter(
      (c) => c.role !== 'key' && c.property !== 'createdAt' && !(c.property in VERSION_STAMP),
    );
    this.#versionColumn = model.column('version') as ModelColumn; // read only when versioned
  }

  // ——— reads (REPO-1) ———

  /** The entity with this id; NotFoundError when there is none (or it was deleted). */
  get<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<EntityOf<F, O> & R> {
    return this.getOrNone<R>(id, options).then((found) => {
      if (found !== undefined) return found;
      throw this.#notFound(id);
    });
  }

  getOrNone<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    // The common call (no options) reads with text built once: no work per call but the key.
    let values: unknown[];
    try {
      values = this.#keyValues(id, 'id');
    } catch (error) {
      return Promise.reject(error);
    }
    if (options === NO_OPTIONS) {
      return this.#source(options)
        .fetchOne<Record<string, unknown>>(this.#getLiveSql, values)
        .then((row) =>
          row === undefined ? undefined : (this.#fromRow(row) as EntityOf<F, O> & R),
        );
    }
    return this.#getWith<R>(values, options);
  }

  async #getWith<R extends object>(
    values: unknown[],
    options: ReadOptions,
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    const plan = this.#plan(options);
    const source = this.#source(options);
    const text = options.includeDeleted === true ? this.#getSql : this.#getLiveSql;
    const row = await source.fetchOne<Record<string, unknown>>(text, values);
    if (row === undefined) return undefined;
    const entity = this.#fromRow(row);
    if (plan !== undefined) await loadRelated(source, plan, [entity]);
    return entity as EntityOf<F, O> & R;
  }

  async contains(id: IdOf<F, O>, options: ReadOptions = {}): Promise<boolean> {
    const live = options.includeDeleted === true || this.#live === '' ? '' : ` AND ${this.#live}`;
    const found = await this.#source(options).fetchVal<boolean>(
      `SELECT EXISTS (SELECT 1 FROM ${quote(this.model.table)} WHERE ${this.#keyWhere}${live})`,
      this.#keyValues(id, 'id'),
    );
    return found === true;
  }

  /** The entities with these ids that exist, in no particular order. */
  async range<R extends object = Related>(
    ids: readonly IdOf<F, O>[],
    options: ReadOptions = {},
  ): Promise<(EntityOf<F, O> & R)[]> {
    if (!Array.isArray(ids)) {
      throw new ValidationError('ids: expected an array', {
        details: [{ path: 'ids', message: 'expected an array of ids' }],
      });
    }
    if (ids.length === 0) return [];
    const values: unknown[] = [];
    const keys = this.#keyColumns;
    let condition: string;
    if (keys.length === 1) {
      const column = keys[0] as ModelColumn;
      values.push(ids.map((id, i) => this.#keyValues(id, `ids.${i}`)[0]));
      condition = `${quote(column.column)} = ANY($1::${column.codec.sqlType}[])`;
    } else {
      const tuples = ids.map((id, i) => this.#keyValues(id, `ids.${i}`));
      keys.forEach((_, k) => {
        values.push(tuples.map((t) => t[k]));
      });
      const columns = keys.map((c) => quote(c.column)).join(', ');
      const arrays = keys.map((c, k) => `$${k + 1}::${c.codec.sqlType}[]`).join(', ');
      condition = `(${columns}) IN (SELECT * FROM unnest(${arrays}))`;
    }
    const live = options.includeDeleted === true || this.#live === '' ? '' : ` AND ${this.#live}`;
    return this.#many<R>(condition + live, values, '', options);
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
    const values: unknown[] = [];
    const condition = this.#conditions(options.where, values, options);
    let tail = '';
    const order =
      options.offset === undefined
        ? compileSort(this.model, options.sort).join(', ')
        : this.#stableOrder(options.sort);
    if (order !== '') tail += ` ORDER BY ${order}`;
    if (options.limit !== undefined) {
      tail += ` LIMIT ${count(options.limit, 'limit', 0)}`;
    }
    if (options.offset !== undefined) tail += ` OFFSET ${count(options.offset, 'offset', 0)}`;
    return this.#many<R>(condition, values, tail, options);
  }

  async count(where?: Where<EntityOf<F, O>>, options: ReadOptions = {}): Promise<number> {
    const values: unknown[] = [];
    const condition = this.#conditions(where, values, options);
    const text = `SELECT count(*) AS n FROM ${quote(this.model.table)}${condition === '' ? '' : ` WHERE ${condition}`}`;
    return Number(await this.#source(options).fetchVal(text, values));
  }

  /**
   * One page of matches and the total over all pages (SPEC REPO-6), in one statement (a
   * second, a count, only for a page past the end).
   */
  async search<R extends object = Related>(
    options: SearchOptions<EntityOf<F, O>> = {},
  ): Promise<Page<EntityOf<F, O> & R>> {
    const plan = this.#plan(options);
    const page = count(options.page ?? 1, 'page', 1);
    const size = count(options.pageSize ?? 20, 'pageSize', 1);
    if (size > MAX_PAGE_SIZE) {
      throw new ValidationError(`pageSize: at most ${MAX_PAGE_SIZE}`, {
        details: [{ path: 'pageSize', message: `must be at most ${MAX_PAGE_SIZE}` }],
      });
    }
    const values: unknown[] = [];
    const condition = this.#conditions(options.where, values, options);
    const order = this.#stableOrder(options.sort);
    const text =
      `SELECT ${this.#select}, count(*) OVER () AS "__total" FROM ${quote(this.model.table)}` +
      (condition === '' ? '' : ` WHERE ${condition}`) +
      (order === '' ? '' : ` ORDER BY ${order}`) +
      ` LIMIT ${size} OFFSET ${(page - 1) * size}`;
    const source = this.#source(options);
    const rows = await source.fetch<Record<string, unknown>>(text, values);
    let total: number;
    if (rows.length > 0) total = Number(rows[0]?.__total);
    else if (page === 1) total = 0;
    else {
      total = await this.count(options.where, options);
    }
    const items = rows.map((row) => {
      delete row.__total;
      return this.#fromRow(row);
    });
    if (plan !== undefined) await loadRelated(source, plan, items);
    return { items: items as (EntityOf<F, O> & R)[], total };
  }

  // ——— writes (REPO-2..4) ———

  /**
   * Inserts or updates; returns the entity as saved (a new object). Versioned: a new version
   * (the replaced one moves to the audit table); a version other than the stored one is a
   * ConflictError and nothing is written.
   */
  async save(entity: EntityOf<F, O>, options: SaveOptions = {}): Promise<EntityOf<F, O>> {
    checkEntity(entity, 'entity');
    return this.#versioned ? this.#saveVersion(entity, options) : this.#upsert(entity);
  }

  /** Saves each, in one transaction; returns them as saved. */
  async saveAll(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    return this.#db.transaction(async () => {
      const saved: EntityOf<F, O>[] = [];
      for (const entity of entities) saved.push(await this.save(entity, options));
      return saved;
    });
  }

  /**
   * Deletes: a versioned entity gets a new, inactive version (its history stays); a model
   * with `softDelete` gets `deletedAt`; any other row is removed. Returns what was saved, or
   * undefined for a removed row.
   */
  async delete(
    entity: EntityOf<F, O>,
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O> | undefined> {
    checkEntity(entity, 'entity');
    if (this.#versioned) {
      return this.#saveVersion({ ...entity, active: false }, options);
    }
    if (this.model.flags.softDelete) {
      // Only the mark: the other columns stay as stored, whatever this copy holds.
      const stamp = this.model.flags.timestamps ? ', "updated_at" = $0' : '';
      const values = this.#keyValues(this.model.idOf(entity), 'entity');
      values.push(new Date());
      const at = `$${values.length}`;
      const row = await this.#db.fetchOne<Record<string, unknown>>(
        `UPDATE ${quote(this.model.table)} SET "deleted_at" = ${at}${stamp.replace('$0', at)} WHERE ${this.#keyWhere} AND "deleted_at" IS NULL RETURNING ${this.#select}`,
        values,
      );
      if (row === undefined) throw this.#notFound(this.model.idOf(entity));
      return this.#fromRow(row) as EntityOf<F, O>;
    }
    await this.hardDelete(this.model.idOf(entity));
    return undefined;
  }

  /** Deletes each, in one transaction. */
  async deleteAll(entities: readonly EntityOf<F, O>[], options: SaveOptions = {}): Promise<void> {
    await this.#db.transaction(async () => {
      for (const entity of entities) await this.delete(entity, options);
    });
  }

  /**
   * Removes the row for good; a versioned entity's current version joins its history in the
   * audit table. Returns whether there was a row.
   */
  async hardDelete(id: IdOf<F, O>): Promise<boolean> {
    const table = quote(this.model.table);
    const values = this.#keyValues(id, 'id');
    const audit = this.model.auditTable;
    if (audit === undefined) {
      return (await this.#db.execute(`DELETE FROM ${table} WHERE ${this.#keyWhere}`, values)) > 0;
    }
    const columns = this.#writeColumns.map((c) => quote(c.column)).join(', ');
    const moved = await this.#db.execute(
      `WITH gone AS (DELETE FROM ${table} WHERE ${this.#keyWhere} RETURNING *) INSERT INTO ${quote(audit)} (${columns}) SELECT ${columns} FROM gone`,
      values,
    );
    return moved > 0;
  }

  /**
   * Inserts new entities in one statement, whatever their number; a duplicate key is an
   * AlreadyExistsError and nothing is inserted.
   */
  async bulkCreate(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    if (entities.length === 0) return [];
    const now = new Date();
    const by = this.#by(options);
    const rows = entities.map((e) => this.#stamped(e, now, by, true));
    const columns = this.#writeColumns;
    const records = rows.map((entity) => {
      const record: Record<string, unknown> = {};
      for (const c of columns) record[c.column] = this.#jsonValue(c, entity);
      return record;
    });
    const names = columns.map((c) => quote(c.column)).join(', ');
    const types = columns.map((c) => `${quote(c.column)} ${c.codec.sqlType}`).join(', ');
    await this.#db.execute(
      `INSERT INTO ${quote(this.model.table)} (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS r(${types})`,
      [JSON.stringify(records)],
    );
    for (const e of entities) unsaved.delete(e);
    return rows;
  }

  /** Every version of a versioned entity, oldest first (SPEC REPO-3). */
  async history(entityId: string): Promise<EntityOf<F, O>[]> {
    const audit = this.model.auditTable;
    if (audit === undefined) {
      throw new ValidationError(`${this.model.name} keeps no history (versioned with audit)`);
    }
    const table = quote(this.model.table);
    const rows = await this.#db.fetch<Record<string, unknown>>(
      `SELECT ${this.#select} FROM ${quote(audit)} WHERE "entity_id" = $1 UNION ALL SELECT ${this.#select} FROM ${table} WHERE "entity_id" = $1`,
      this.#keyValues(entityId as IdOf<F, O>, 'entityId'),
    );
    // Follow the chain from its first version (whose previous one is not here), not the
    // clock; rows the chain does not reach, if any, follow by time.
    const versions = new Set(rows.map((r) => r.version));
    const byPrevious = new Map<unknown, Record<string, unknown>>(
      rows.map((r) => [r.previousVersion ?? null, r]),
    );
    const ordered: Record<string, unknown>[] = [];
    let at = rows.find((r) => !versions.has(r.previousVersion));
    while (at !== undefined && !ordered.includes(at)) {
      ordered.push(at);
      at = byPrevious.get(at.version);
    }
    const rest = rows.filter((r) => !ordered.includes(r));
    rest.sort((x, y) => (x.changedOn as Date).getTime() - (y.changedOn as Date).getTime());
    ordered.push(...rest);
    return ordered.map((r) => this.#fromRow(r) as EntityOf<F, O>);
  }

  // ——— many-to-many (REPO-8) ———

  /** Pairs `entity` with `other` in the association table of relation `name` (idempotent). */
  async relate(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): Promise<void> {
    const [relation, values] = this.#pair(name, entity, other);
    await this.#db.execute(
      `INSERT INTO ${quote(relation.through)} (${quote(relation.fromColumn)}, ${quote(relation.targetColumn)}) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      values,
    );
  }

  /** Removes the pair; returns whether it was there. */
  async unrelate(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): Promise<boolean> {
    const [relation, values] = this.#pair(name, entity, other);
    const removed = await this.#db.execute(
      `DELETE FROM ${quote(relation.through)} WHERE ${quote(relation.fromColumn)} = $1 AND ${quote(relation.targetColumn)} = $2`,
      values,
    );
    return removed > 0;
  }

  #pair(
    name: string,
    entity: EntityOf<F, O>,
    other: Record<string, unknown>,
  ): [Extract<Relation, { kind: 'manyToMany' }>, unknown[]] {
    const relation = this.#schema?.relationsOf(this.model).get(name);
    if (relation?.kind !== 'manyToMany') {
      throw new ValidationError(`${name} is not a many-to-many relation of ${this.model.name}`, {
        details: [{ path: 'name', message: 'not a many-to-many relation of this model' }],
      });
    }
    checkEntity(entity, 'entity');
    checkEntity(other, 'other');
    const ownKey = this.#keyColumns[0] as ModelColumn;
    const otherKey = relation.target.column(relation.target.primaryKey[0] as string) as ModelColumn;
    const own = (entity as Record<string, unknown>)[ownKey.property];
    const theirs = other[otherKey.property];
    checkKey(ownKey, own, 'entity');
    checkKey(otherKey, theirs, 'other');
    return [relation, [toColumnValue(ownKey.codec, own), toColumnValue(otherKey.codec, theirs)]];
  }

  // ——— internals ———

  /** The sort asked for, then the key: pages neither repeat nor skip rows with equal keys. */
  #stableOrder(sort: unknown): string {
    const order = compileSort(this.model, sort);
    for (const c of this.#keyColumns) {
      const key = quote(c.column);
      if (!order.some((item) => item === key || item === `${key} DESC`)) order.push(key);
    }
    return order.join(', ');
  }

  #notFound(id: unknown): NotFoundError {
    return new NotFoundError(`${this.model.name} not found`, {
      details: [{ resource: this.model.name, id: id as string }],
    });
  }

  #source(options: ReadOptions): DatabaseAdapter {
    return (options.replica ?? this.#readFromReplicas) ? this.#replica : this.#db;
  }

  #conditions(where: unknown, values: unknown[], options: ReadOptions): string {
    const parts = compileWhere(this.model, where, values);
    if (options.includeDeleted !== true && this.#live !== '') parts.push(this.#live);
    return parts.join(' AND ');
  }

  async #many<R extends object>(
    condition: string,
    values: unknown[],
    tail: string,
    options: ReadOptions,
  ): Promise<(EntityOf<F, O> & R)[]> {
    const plan = this.#plan(options);
    const text = `SELECT ${this.#select} FROM ${quote(this.model.table)}${condition === '' ? '' : ` WHERE ${condition}`}${tail}`;
    const source = this.#source(options);
    const rows = await source.fetch<Record<string, unknown>>(text, values);
    const entities = rows.map((row) => this.#fromRow(row));
    if (plan !== undefined) await loadRelated(source, plan, entities);
    return entities as (EntityOf<F, O> & R)[];
  }

  #plan(options: ReadOptions): RelatedPlan | undefined {
    return options.fetchRelated === undefined || options.fetchRelated.length === 0
      ? undefined
      : planRelated(this.#schema, this.model, options.fetchRelated);
  }

  /** The key's column values, checked: a malformed id is a ValidationError, not SQL. */
  #keyValues(id: unknown, path: string): unknown[] {
    const keys = this.#keyColumns;
    if (keys.length === 1) {
      const column = keys[0] as ModelColumn;
      checkKey(column, id, path);
      return [toColumnValue(column.codec, id)];
    }
    if (typeof id !== 'object' || id === null) {
      throw new ValidationError(
        `${path}: expected an object with ${keys.map((k) => k.property).join(', ')}`,
        {
          details: [{ path, message: 'expected an object of key fields' }],
        },
      );
    }
    return keys.map((column) => {
      const value = (id as Record<string, unknown>)[column.property];
      checkKey(column, value, `${path}.${column.property}`);
      return toColumnValue(column.codec, value);
    });
  }

  #fromRow(row: Record<string, unknown>): Record<string, unknown> {
    return this.#reader.fromRow(row);
  }

  #by(options: SaveOptions): string | null {
    return options.changedById !== undefined ? options.changedById : (this.#changedBy?.() ?? null);
  }

  /** The entity with what a save sets: timestamps; for an insert of a versioned one, its stamp. */
  #stamped(entity: EntityOf<F, O>, now: Date, by: string | null, insert: boolean): EntityOf<F, O> {
    const out: Record<string, unknown> = { ...entity };
    if (this.model.flags.timestamps) {
      if (insert || out.createdAt === undefined) out.createdAt = now;
      out.updatedAt = now;
    }
    if (this.#versioned && insert) {
      out.changedOn = now;
      out.changedById = by;
    }
    return out as EntityOf<F, O>;
  }

  /** A column's parameter value for an entity. */
  #columnValue(c: ModelColumn, entity: Record<string, unknown>): unknown {
    if (c.role === 'extra' || c.role === 'computed') {
      const value = this.#derived(c, entity);
      return value === null ? null : JSON.stringify(value);
    }
    return toColumnValue(c.codec, entity[c.property]);
  }

  /** A column's value inside a JSON document (bulk insert). */
  #jsonValue(c: ModelColumn, entity: Record<string, unknown>): unknown {
    if (c.role === 'extra' || c.role === 'computed') return this.#derived(c, entity);
    return toJsonColumnValue(c.codec, entity[c.property]);
  }

  /**
   * The extra fields (without relations loaded onto the entity) or a computed value (null
   * when it cannot be computed).
   */
  #derived(c: ModelColumn, entity: Record<string, unknown>): unknown {
    if (c.role === 'extra') {
      const extra = this.model.extraOf(entity as EntityOf<F, O>);
      for (const name of this.#schema?.relationsOf(this.model).keys() ?? []) delete extra[name];
      return extra;
    }
    try {
      return this.model.options.computed?.[c.property]?.(entity as never) ?? null;
    } catch {
      return null;
    }
  }

  async #upsert(entity: EntityOf<F, O>): Promise<EntityOf<F, O>> {
    const stamped = this.#stamped(entity, new Date(), null, false) as Record<string, unknown>;
    this.#saveSql ??= this.#upsertSql();
    const values = this.#writeColumns.map((c) => this.#columnValue(c, stamped));
    const row = await this.#db.fetchOne<Record<string, unknown>>(this.#saveSql, values);
    if (row !== undefined && 'createdAt' in row) stamped.createdAt = row.createdAt;
    return stamped as EntityOf<F, O>;
  }

  #upsertSql(): string {
    const columns = this.#writeColumns;
    const names = columns.map((c) => quote(c.column)).join(', ');
    const params = columns.map((_, i) => `$${i + 1}`).join(', ');
    const keys = this.#keyColumns.map((c) => quote(c.column)).join(', ');
    const updates = columns
      .filter((c) => c.role !== 'key' && !this.model.primaryKey.includes(c.property))
      .filter((c) => c.property !== 'createdAt')
      .map((c) => `${quote(c.column)} = EXCLUDED.${quote(c.column)}`);
    const conflict = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
    const returning = this.model.flags.timestamps ? ' RETURNING "created_at" AS "createdAt"' : '';
    return `INSERT INTO ${quote(this.model.table)} (${names}) VALUES (${params}) ON CONFLICT (${keys}) ${conflict}${returning}`;
  }

  /**
   * A versioned save. An entity from `create` is inserted. Any other is updated in one
   * statement that locks the stored row and, if it is the version the entity was read at,
   * copies it to the audit table and writes the next version; when that changes nothing, the
   * stored version tells an entity never saved (inserted) from a stale one (ConflictError).
   */
  #saveVersion(entity: EntityOf<F, O>, options: SaveOptions): Promise<EntityOf<F, O>> {
    const record = entity as Record<string, unknown>;
    const { entityId, version } = record;
    const now = new Date();
    let by: string | null;
    try {
      checkKey(this.#keyColumns[0] as ModelColumn, entityId, 'entityId');
      checkKey(this.#versionColumn, version, 'version');
      by = this.#by(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (unsaved.has(entity)) return this.#insertVersion(record, now, by);
    const next = randomUUID();
    const values: unknown[] = [entityId, version, next, now, by];
    try {
      for (const c of this.#dataColumns) values.push(this.#columnValue(c, record));
    } catch (error) {
      return Promise.reject(error);
    }
    this.#saveSql ??= this.#updateVersionSql();
    const sql = this.#saveSql;
    const saved = (row: { created?: unknown }, read: unknown, written: unknown) => {
      const out: Record<string, unknown> = {
        ...record,
        version: written,
        previousVersion: read,
        changedOn: now,
        changedById: by,
      };
      if (this.model.flags.timestamps) {
        out.createdAt = row.created;
        out.updatedAt = now;
      }
      return out as EntityOf<F, O>;
    };
    return this.#db.fetchOne<{ created?: unknown }>(sql, values).then(async (row) => {
      if (row !== undefined) return saved(row, version, next);
      // Nothing written: a new entity, a deleted one, one already prepared, or a stale one.
      const audit = this.model.auditTable;
      const probe = await this.#db.fetchOne<{ stored: string | null; gone: boolean }>(
        `SELECT (SELECT "version"::text FROM ${quote(this.model.table)} WHERE "entity_id" = $1) AS stored, ${audit === undefined ? 'false' : `EXISTS (SELECT 1 FROM ${quote(audit)} WHERE "entity_id" = $1)`} AS gone`,
        [entityId],
      );
      const stored = probe?.stored ?? null;
      if (stored === null && probe?.gone !== true) return this.#insertVersion(record, now, by);
      const previous = record.previousVersion;
      if (stored !== null && stored === previous) {
        // Rotated by prepareForSave: the stored version is the one it was prepared from.
        const again = await this.#db.fetchOne<{ created?: unknown }>(sql, [
          entityId,
          previous,
          version,
          ...values.slice(3),
        ]);
        if (again !== undefined) return saved(again, previous, version);
      }
      throw new ConflictError(
        stored === null
          ? `${this.model.name} ${String(entityId)} was deleted since version ${String(version)} was read`
          : `${this.model.name} ${String(entityId)} was saved by someone else since version ${String(version)} was read`,
        {
          details: [
            {
              resource: this.model.name,
              id: String(entityId),
              version: String(version),
              current: stored,
            },
          ],
        },
      );
    });
  }

  /** Inserts the first stored version of an entity (as it is, stamped now). */
  async #insertVersion(
    record: Record<string, unknown>,
    now: Date,
    by: string | null,
  ): Promise<EntityOf<F, O>> {
    const saved: Record<string, unknown> = { ...record, changedOn: now, changedById: by };
    if (this.model.flags.timestamps) {
      saved.createdAt = now;
      saved.updatedAt = now;
    }
    this.#insertSql ??= this.#plainInsertSql();
    await this.#db.execute(
      this.#insertSql,
      this.#writeColumns.map((c) => this.#columnValue(c, saved)),
    );
    unsaved.delete(record);
    return saved as EntityOf<F, O>;
  }

  #plainInsertSql(): string {
    const columns = this.#writeColumns;
    const names = columns.map((c) => quote(c.column)).join(', ');
    const params = columns.map((_, i) => `$${i + 1}`).join(', ');
    return `INSERT INTO ${quote(this.model.table)} (${names}) VALUES (${params})`;
  }

  /**
   * Parameters: $1 entityId, $2 the version read, $3 the next version, $4 now, $5 changedById,
   * then one per data column. Returns a row only when it wrote.
   */
  #updateVersionSql(): string {
    const table = quote(this.model.table);
    const columns = this.#writeColumns;
    const names = columns.map((c) => quote(c.column)).join(', ');
    const data = new Map(this.#dataColumns.map((c, i) => [c.property, `$${i + 6}`]));
    const updates = columns
      .filter((c) => c.role !== 'key' && c.property !== 'createdAt')
      .map((c) => `${quote(c.column)} = ${VERSION_STAMP[c.property] ?? data.get(c.property)}`)
      .join(', ');
    const audit = this.model.auditTable;
    const moved =
      audit === undefined
        ? ''
        : `, moved AS (INSERT INTO ${quote(audit)} (${names}) SELECT ${names} FROM cur WHERE "version" = $2)`;
    const returning = this.model.flags.timestamps ? 'cur."created_at" AS created' : '1 AS updated';
    // The row is locked and read (cur) before it is changed, and copied from what was read:
    // the sub-statements of one WITH never see each other's changes.
    return (
      `WITH cur AS (SELECT * FROM ${table} WHERE "entity_id" = $1 FOR UPDATE)${moved} ` +
      `UPDATE ${table} t SET ${updates} FROM cur WHERE t."entity_id" = cur."entity_id" AND cur."version" = $2 RETURNING ${returning}`
    );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkKey(column: ModelColumn, value: unknown, path: string): void {
  const ok =
    column.codec.kind === 'uuid'
      ? typeof value === 'string' && UUID.test(value)
      : column.codec.kind === 'timestamp'
        ? value instanceof Date && !Number.isNaN(value.getTime())
        : value !== undefined && value !== null && typeof value !== 'object';
  if (!ok) {
    throw new ValidationError(`${path}: not a valid ${column.property}`, {
      details: [
        {
          path,
          message: column.codec.kind === 'uuid' ? 'expected a UUID' : 'expected a key value',
        },
      ],
    });
  }
}

function checkEntity(entity: unknown, path: string): void {
  if (typeof entity !== 'object' || entity === null || Array.isArray(entity)) {
    throw new ValidationError(`${path}: expected an entity object`, {
      details: [{ path, message: 'expected an entity object' }],
    });
  }
}

function count(value: number, path: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(`${path}: must be an integer, ${min} or more`, {
      details: [{ path, message: `must be an integer, ${min} or more` }],
    });
  }
  return value;
}

/**
 * The repository of a model over a database (SPEC REPO-1..11).
 *
 * @example
 * const people = repository(Person, db);
 * const saved = await people.save(Person.create({ firstName: 'Ada', lastName: 'Lovelace' }));
 */
export function repository<N extends string, F extends Fields, O extends ModelOptions<F>>(
  model: Model<N, F, O>,
  db: DatabaseAdapter,
  options?: RepositoryOptions,
): Repository<N, F, O> {
  return new Repository(model, db, options);
}
