import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { AssociationWrites } from './association-writes.js';
import { ConstraintErrors } from './constraint-errors.js';
import { misuse } from './data-errors.js';
import { dialectOf } from './dialect/dialect-of.js';
import type { DialectStatement, SqlDialect } from './dialect/sql-dialect.js';
import { executeCount, fetchRow } from './dialect/statement-runner.js';
import { entityHistory } from './entity-history.js';
import { checkEntity } from './entity-keys.js';
import type { Model } from './model.js';
import { unsaved } from './model.js';
import type { ModelRepository } from './model-repository.js';
import type { EntityOf, Fields, IdOf, ModelOptions } from './model-types.js';
import { NO_OPTIONS, ReadStatements } from './read-statements.js';
import type {
  ManyOptions,
  Page,
  ReadOptions,
  RepositoryOptions,
  SaveOptions,
  SearchOptions,
} from './repository-options.js';
import type { RepositoryMessage, RepositoryOutbox } from './repository-outbox.js';
import { RowValues } from './row-values.js';
import { entityNotFound, savedBy } from './save-outcomes.js';
import type { SchemaRegistry } from './schema-registry.js';
import { VersionedSave } from './versioned-save.js';
import type { Where } from './where-clause.js';

/** The type argument of reads with `fetchRelated`: the relation properties they add. */
type Related = Record<never, never>;
type Row = Record<string, unknown>;

const OPTION_KEYS = new Set(['readFromReplicas', 'changedBy', 'schema', 'dialect', 'outbox']);
const MESSAGE_KEYS = new Set(['queue', 'data', 'key', 'type', 'headers', 'id']);

/**
 * The generic repository of a model: reads by key, by conditions and by page, writes, soft
 * and hard deletes, bulk inserts, history and many-to-many pairs. Every call joins the
 * ambient transaction. Versioned models keep each replaced version in `<table>_audit` and
 * refuse to save over a version they did not read (ConflictError `STALE_VERSION`); deleting
 * one is a new, inactive version. The SQL comes from the dialect (default: the database's engine's),
 * written once per model.
 */
export class Repository<
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> implements ModelRepository<N, F, O>
{
  readonly #db: DatabaseAdapter;
  readonly #dialect: SqlDialect;
  readonly #changedBy: (() => string | null | undefined) | undefined;
  readonly #reads: ReadStatements;
  readonly #rows: RowValues;
  readonly #versions: VersionedSave | undefined;
  readonly #pairs: AssociationWrites;
  readonly #violations: ConstraintErrors;
  readonly #outbox: RepositoryOutbox | undefined;
  #upsert: DialectStatement | undefined;
  #softDelete: DialectStatement | undefined;
  #hardDelete: DialectStatement | undefined;
  #bulkInsert: DialectStatement | undefined;
  #history: DialectStatement | undefined;

  constructor(
    readonly model: Model<N, F, O>,
    db: DatabaseAdapter,
    options: RepositoryOptions = {},
  ) {
    rejectUnknownKeys('repository', options, OPTION_KEYS);
    if (model.flags.embedded) {
      invalidOption('repository', 'model', `${model.name} is embedded: it has no table`);
    }
    const schema: SchemaRegistry | undefined = options.schema;
    const dialect = dialectOf(db, options.dialect);
    const loose = model as unknown as Model;
    this.#db = db;
    this.#dialect = dialect;
    this.#changedBy = options.changedBy;
    if (
      options.outbox !== undefined &&
      typeof (options.outbox as Partial<RepositoryOutbox>)?.addMessage !== 'function'
    ) {
      invalidOption('repository', 'outbox', 'must have an addMessage method (an Outbox)');
    }
    this.#outbox = options.outbox;
    this.#reads = new ReadStatements(model, dialect, db, options.readFromReplicas === true, schema);
    this.#rows = new RowValues(loose, schema);
    this.#violations = new ConstraintErrors(model, schema, dialect);
    this.#versions = model.flags.versioned
      ? new VersionedSave(loose, dialect, db, this.#rows, this.#violations)
      : undefined;
    this.#pairs = new AssociationWrites(model, dialect, db, schema);
  }

  // ——— reads ———

  /** The entity with this id; NotFoundError `ENTITY_NOT_FOUND` when there is none (or it was deleted). */
  get<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<EntityOf<F, O> & R> {
    return this.#reads.getOrNone(id, options).then((found) => {
      if (found !== undefined) return found as EntityOf<F, O> & R;
      throw entityNotFound(this.model.name, id);
    });
  }

  /** The entity with this id, or undefined. */
  getOrNone<R extends object = Related>(
    id: IdOf<F, O>,
    options: ReadOptions = NO_OPTIONS,
  ): Promise<(EntityOf<F, O> & R) | undefined> {
    return this.#reads.getOrNone(id, options) as Promise<(EntityOf<F, O> & R) | undefined>;
  }

  /** Whether an entity with this id exists (and is not deleted, unless `includeDeleted`). */
  contains(id: IdOf<F, O>, options: ReadOptions = {}): Promise<boolean> {
    return this.#reads.contains(id, options);
  }

  /** The entities with these ids that exist, in no particular order. */
  range<R extends object = Related>(
    ids: readonly IdOf<F, O>[],
    options: ReadOptions = {},
  ): Promise<(EntityOf<F, O> & R)[]> {
    return this.#reads.range(ids, options) as Promise<(EntityOf<F, O> & R)[]>;
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
  getMany<R extends object = Related>(
    options: ManyOptions<EntityOf<F, O>> = {},
  ): Promise<(EntityOf<F, O> & R)[]> {
    return this.#reads.getMany(options as ManyOptions<unknown>) as Promise<(EntityOf<F, O> & R)[]>;
  }

  /** How many entities match `where`. */
  count(where?: Where<EntityOf<F, O>>, options: ReadOptions = {}): Promise<number> {
    return this.#reads.count(where, options);
  }

  /**
   * One page of matches and the total over all pages, in one statement (a second, a count,
   * only for a page past the end). `pageSize` is 1 to 1000 (default 20).
   */
  search<R extends object = Related>(
    options: SearchOptions<EntityOf<F, O>> = {},
  ): Promise<Page<EntityOf<F, O> & R>> {
    return this.#reads.search(options as SearchOptions<unknown>) as Promise<
      Page<EntityOf<F, O> & R>
    >;
  }

  /** Every version of a versioned entity, oldest first; UsageError `NO_HISTORY` without audit. */
  async history(entityId: string): Promise<EntityOf<F, O>[]> {
    if (this.model.auditTable === undefined) {
      misuse('NO_HISTORY', 'history', `${this.model.name} keeps no history (versioned with audit)`);
    }
    this.#history ??= this.#dialect.history(this.model);
    const [id] = this.#reads.keyValues(entityId, 'entityId');
    const rows = await entityHistory(this.#db, this.#history, id);
    return rows.map((r) => this.#reads.fromRow(r) as EntityOf<F, O>);
  }

  // ——— writes ———

  /**
   * Inserts or updates; returns the entity as saved (a new object). Versioned: a new version
   * (the replaced one moves to the audit table); a version other than the stored one is a
   * ConflictError and nothing is written.
   */
  save(entity: EntityOf<F, O>, options: SaveOptions = {}): Promise<EntityOf<F, O>> {
    return this.#withMessage('save', options, () => this.#save(entity, options));
  }

  async #save(entity: EntityOf<F, O>, options: SaveOptions): Promise<EntityOf<F, O>> {
    checkEntity(entity, 'entity');
    if (this.#versions !== undefined) {
      return (await this.#versions.save(
        entity as Row,
        savedBy(options, this.#changedBy),
      )) as EntityOf<F, O>;
    }
    const stamped = this.#rows.stamped(entity as Row, new Date(), null, false);
    this.#upsert ??= this.#dialect.upsert(this.model);
    const row = await fetchRow(this.#db, this.#upsert, this.#rows.all(stamped)).catch(
      this.#violations.saveFailed,
    );
    if (row !== undefined && 'createdAt' in row) stamped.createdAt = row.createdAt;
    return stamped as EntityOf<F, O>;
  }

  /** Saves each, in one transaction; returns them as saved. */
  async saveAll(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    return this.#withMessage('saveAll', options, () =>
      this.#db.transaction(async () => {
        const saved: EntityOf<F, O>[] = [];
        for (const entity of entities) saved.push(await this.#save(entity, options));
        return saved;
      }),
    );
  }

  /**
   * Deletes: a versioned entity gets a new, inactive version (its history stays); a model
   * with `softDelete` gets `deletedAt`; any other row is removed. Returns what was saved, or
   * undefined for a removed row.
   */
  delete(entity: EntityOf<F, O>, options: SaveOptions = {}): Promise<EntityOf<F, O> | undefined> {
    return this.#withMessage('delete', options, () => this.#delete(entity, options));
  }

  async #delete(entity: EntityOf<F, O>, options: SaveOptions): Promise<EntityOf<F, O> | undefined> {
    checkEntity(entity, 'entity');
    if (this.#versions !== undefined) {
      const inactive = { ...(entity as Row), active: false };
      const by = savedBy(options, this.#changedBy);
      return (await this.#versions.save(inactive, by, entity)) as EntityOf<F, O>;
    }
    const id = this.model.idOf(entity);
    if (this.model.flags.softDelete) {
      const values = this.#reads.keyValues(id, 'entity');
      values.push(new Date());
      this.#softDelete ??= this.#dialect.softDelete(this.model);
      const row = await fetchRow(this.#db, this.#softDelete, values);
      if (row === undefined) throw entityNotFound(this.model.name, id);
      return this.#reads.fromRow(row) as EntityOf<F, O>;
    }
    await this.hardDelete(id);
    return undefined;
  }

  /** Deletes each, in one transaction. */
  async deleteAll(entities: readonly EntityOf<F, O>[], options: SaveOptions = {}): Promise<void> {
    await this.#withMessage('deleteAll', options, () =>
      this.#db.transaction(async () => {
        for (const entity of entities) await this.#delete(entity, options);
      }),
    );
  }

  /**
   * Removes the row for good; a versioned entity's current version joins its history in the
   * audit table. Returns whether there was a row.
   */
  async hardDelete(id: IdOf<F, O>): Promise<boolean> {
    const values = this.#reads.keyValues(id, 'id');
    this.#hardDelete ??= this.#dialect.hardDelete(this.model);
    const count = await executeCount(this.#db, this.#hardDelete, values).catch(
      this.#violations.deleteFailed,
    );
    return count > 0;
  }

  /**
   * Inserts new entities in one statement, whatever their number; a duplicate key is an
   * AlreadyExistsError and nothing is inserted.
   */
  bulkCreate(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions = {},
  ): Promise<EntityOf<F, O>[]> {
    return this.#withMessage('bulkCreate', options, () => this.#bulkCreate(entities, options));
  }

  async #bulkCreate(
    entities: readonly EntityOf<F, O>[],
    options: SaveOptions,
  ): Promise<EntityOf<F, O>[]> {
    if (entities.length === 0) return [];
    const now = new Date();
    const by = savedBy(options, this.#changedBy);
    const rows = entities.map((e) => this.#rows.stamped(e as Row, now, by, true));
    this.#bulkInsert ??= this.#dialect.bulkInsert(this.model);
    const document = JSON.stringify(rows.map((row) => this.#rows.json(row)));
    await executeCount(this.#db, this.#bulkInsert, [document]).catch(this.#violations.saveFailed);
    for (const e of entities) unsaved.delete(e);
    return rows as EntityOf<F, O>[];
  }

  // ——— many-to-many ———

  /** Pairs `entity` with `other` in the association table of relation `name` (idempotent). */
  relate(name: string, entity: EntityOf<F, O>, other: Record<string, unknown>): Promise<void> {
    return this.#pairs.relate(name, entity, other);
  }

  /** Removes the pair; returns whether it was there. */
  unrelate(name: string, entity: EntityOf<F, O>, other: Record<string, unknown>): Promise<boolean> {
    return this.#pairs.unrelate(name, entity, other);
  }

  // ——— internals ———

  /**
   * Runs `write`, and with `options.message` adds the message to the outbox in the same
   * transaction (a savepoint inside an ambient one, so the pair stays whole even when the
   * caller catches a failure and goes on).
   */
  #withMessage<T>(method: string, options: SaveOptions, write: () => Promise<T>): Promise<T> {
    const message = options?.message;
    if (message === undefined) return write();
    try {
      this.#checkMessage(method, message);
    } catch (error) {
      return Promise.reject(error);
    }
    const outbox = this.#outbox as RepositoryOutbox;
    return this.#db.transaction(async (tx) => {
      const result = await write();
      await outbox.addMessage(tx, message);
      return result;
    });
  }

  #checkMessage(method: string, message: RepositoryMessage): void {
    const where = `${this.model.name} repository.${method}`;
    if (this.#outbox === undefined) {
      misuse(
        'NO_OUTBOX',
        where,
        'options.message needs an outbox: repository(model, db, { outbox }) or provideRepository(token, model, { outbox: Outbox })',
      );
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      invalidOption(
        where,
        'message',
        'must be an object { queue, data, key?, type?, headers?, id? }',
      );
    }
    rejectUnknownKeys(where, message, MESSAGE_KEYS, 'message.');
    if (!('data' in message)) invalidOption(where, 'message.data', 'is missing');
  }
}

/**
 * The repository of a model over a database.
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
