import type { Model } from './model.js';
import type { EntityOf, Fields, IdOf, ModelOptions } from './model-types.js';
import type {
  ManyOptions,
  Page,
  ReadOptions,
  SaveOptions,
  SearchOptions,
} from './repository-options.js';
import type { Where } from './where-clause.js';

/** The type argument of reads with `fetchRelated`: the relation properties they add. */
type Related = Record<never, never>;

/**
 * What every repository of a model offers, whatever stores it: the SQL `Repository`
 * (PostgreSQL, PGlite, MySQL), and the document stores (`libretto/surrealdb`,
 * `libretto/dynamodb`). Code written against this type moves between them by configuration;
 * what a store cannot do it refuses with a typed error, never by loading everything.
 */
export interface ModelRepository<
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> {
  readonly model: Model<N, F, O>;

  // ——— reads ———
  /** The entity with this id; NotFoundError `ENTITY_NOT_FOUND` when there is none (or it was deleted). */
  get<R extends object = Related>(
    id: IdOf<F, O>,
    options?: ReadOptions,
  ): Promise<EntityOf<F, O> & R>;
  /** The entity with this id, or undefined. */
  getOrNone<R extends object = Related>(
    id: IdOf<F, O>,
    options?: ReadOptions,
  ): Promise<(EntityOf<F, O> & R) | undefined>;
  /** Whether an entity with this id exists (and is not deleted, unless `includeDeleted`). */
  contains(id: IdOf<F, O>, options?: ReadOptions): Promise<boolean>;
  /** The entities with these ids that exist, in no particular order. */
  range<R extends object = Related>(
    ids: readonly IdOf<F, O>[],
    options?: ReadOptions,
  ): Promise<(EntityOf<F, O> & R)[]>;
  /** The first entity matching, or undefined. */
  getOne<R extends object = Related>(
    where: Where<EntityOf<F, O>>,
    options?: ReadOptions & Pick<ManyOptions<EntityOf<F, O>>, 'sort'>,
  ): Promise<(EntityOf<F, O> & R) | undefined>;
  /** Entities matching `where`, sorted, limited, offset. */
  getMany<R extends object = Related>(
    options?: ManyOptions<EntityOf<F, O>>,
  ): Promise<(EntityOf<F, O> & R)[]>;
  /** How many entities match `where`. */
  count(where?: Where<EntityOf<F, O>>, options?: ReadOptions): Promise<number>;
  /** One page of matches and the total over all pages. */
  search<R extends object = Related>(
    options?: SearchOptions<EntityOf<F, O>>,
  ): Promise<Page<EntityOf<F, O> & R>>;
  /** Every version of a versioned entity, oldest first; UsageError `NO_HISTORY` without audit. */
  history(entityId: string): Promise<EntityOf<F, O>[]>;

  // ——— writes ———
  /** Inserts or updates; returns the entity as saved (a new object). */
  save(entity: EntityOf<F, O>, options?: SaveOptions): Promise<EntityOf<F, O>>;
  /** Saves each, in one transaction; returns them as saved. */
  saveAll(entities: readonly EntityOf<F, O>[], options?: SaveOptions): Promise<EntityOf<F, O>[]>;
  /** Deletes (a new inactive version, `deletedAt`, or removal); returns what was saved. */
  delete(entity: EntityOf<F, O>, options?: SaveOptions): Promise<EntityOf<F, O> | undefined>;
  /** Deletes each, in one transaction. */
  deleteAll(entities: readonly EntityOf<F, O>[], options?: SaveOptions): Promise<void>;
  /** Removes for good (a versioned entity's current version joins its history); whether it was there. */
  hardDelete(id: IdOf<F, O>): Promise<boolean>;
  /** Inserts new entities; a duplicate key is an AlreadyExistsError and nothing is inserted. */
  bulkCreate(entities: readonly EntityOf<F, O>[], options?: SaveOptions): Promise<EntityOf<F, O>[]>;

  // ——— many-to-many ———
  /** Pairs `entity` with `other` by the many-to-many relation `name` (idempotent). */
  relate(name: string, entity: EntityOf<F, O>, other: Record<string, unknown>): Promise<void>;
  /** Removes the pair; returns whether it was there. */
  unrelate(name: string, entity: EntityOf<F, O>, other: Record<string, unknown>): Promise<boolean>;
}
