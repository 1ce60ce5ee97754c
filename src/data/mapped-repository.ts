import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import type { Model } from './model.js';
import type { EntityOf, Fields, IdOf, ModelOptions } from './model-types.js';
import { Repository } from './repository.js';
import type {
  ManyOptions,
  Page,
  ReadOptions,
  RepositoryOptions,
  SaveOptions,
  SearchOptions,
} from './repository-options.js';
import type { Where } from './where-clause.js';

/** How a domain object and its row entity convert into each other. */
export interface DomainMapping<D, E> {
  toDomain(entity: E): D;
  fromDomain(domain: D): E;
}

/**
 * A repository of domain objects whose shape differs from their table's (an aggregate with
 * behaviour, a value split over columns): the model describes the row, the mapping converts.
 * Queries (`where`, `sort`) speak of the row's fields.
 *
 * @example
 * const accounts = mappedRepository(AccountRow, db, {
 *   toDomain: (row) => new Account(row.entityId, row.version, Money.of(row.cents, row.currency)),
 *   fromDomain: (a) => ({ ...a.row, cents: a.balance.cents, currency: a.balance.currency }),
 * });
 */
export class MappedRepository<
  D,
  N extends string = string,
  F extends Fields = Fields,
  O extends ModelOptions<F> = ModelOptions<F>,
> {
  readonly rows: Repository<N, F, O>;

  constructor(
    model: Model<N, F, O>,
    db: DatabaseAdapter,
    readonly mapping: DomainMapping<D, EntityOf<F, O>>,
    options?: RepositoryOptions,
  ) {
    this.rows = new Repository(model, db, options);
  }

  async get(id: IdOf<F, O>, options?: ReadOptions): Promise<D> {
    return this.mapping.toDomain(await this.rows.get(id, options));
  }

  async getOrNone(id: IdOf<F, O>, options?: ReadOptions): Promise<D | undefined> {
    const row = await this.rows.getOrNone(id, options);
    return row === undefined ? undefined : this.mapping.toDomain(row);
  }

  contains(id: IdOf<F, O>, options?: ReadOptions): Promise<boolean> {
    return this.rows.contains(id, options);
  }

  async range(ids: readonly IdOf<F, O>[], options?: ReadOptions): Promise<D[]> {
    return (await this.rows.range(ids, options)).map((r) => this.mapping.toDomain(r));
  }

  async getOne(where: Where<EntityOf<F, O>>, options?: ReadOptions): Promise<D | undefined> {
    const row = await this.rows.getOne(where, options);
    return row === undefined ? undefined : this.mapping.toDomain(row);
  }

  async getMany(options?: ManyOptions<EntityOf<F, O>>): Promise<D[]> {
    return (await this.rows.getMany(options)).map((r) => this.mapping.toDomain(r));
  }

  count(where?: Where<EntityOf<F, O>>, options?: ReadOptions): Promise<number> {
    return this.rows.count(where, options);
  }

  async search(options?: SearchOptions<EntityOf<F, O>>): Promise<Page<D>> {
    const page = await this.rows.search(options);
    return { items: page.items.map((r) => this.mapping.toDomain(r)), total: page.total };
  }

  /** Saves the domain object's row; returns the domain object as saved. */
  async save(domain: D, options?: SaveOptions): Promise<D> {
    return this.mapping.toDomain(await this.rows.save(this.mapping.fromDomain(domain), options));
  }

  async saveAll(domains: readonly D[], options?: SaveOptions): Promise<D[]> {
    const saved = await this.rows.saveAll(
      domains.map((d) => this.mapping.fromDomain(d)),
      options,
    );
    return saved.map((r) => this.mapping.toDomain(r));
  }

  async delete(domain: D, options?: SaveOptions): Promise<D | undefined> {
    const row = await this.rows.delete(this.mapping.fromDomain(domain), options);
    return row === undefined ? undefined : this.mapping.toDomain(row);
  }

  /** Deletes each, in one transaction (as `delete` does one). */
  deleteAll(domains: readonly D[], options?: SaveOptions): Promise<void> {
    return this.rows.deleteAll(
      domains.map((d) => this.mapping.fromDomain(d)),
      options,
    );
  }

  hardDelete(id: IdOf<F, O>): Promise<boolean> {
    return this.rows.hardDelete(id);
  }
}

/** A repository of domain objects mapped to a model's rows. */
export function mappedRepository<D, N extends string, F extends Fields, O extends ModelOptions<F>>(
  model: Model<N, F, O>,
  db: DatabaseAdapter,
  mapping: DomainMapping<D, EntityOf<F, O>>,
  options?: RepositoryOptions,
): MappedRepository<D, N, F, O> {
  return new MappedRepository(model, db, mapping, options);
}
