import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { invalidValue, misuse } from './data-errors.js';
import {
  type DialectStatement,
  type Predicate,
  type ReadQuery,
  type SortItem,
  type SqlDialect,
  TOTAL_COLUMN,
} from './dialect/sql-dialect.js';
import { fetchRow, fetchValue } from './dialect/statement-runner.js';
import { checkCount, keyColumnsOf, keyValues } from './entity-keys.js';
import type { ModelColumn, TableModel } from './model.js';
import { type ModelReader, readerOf } from './model-reader.js';
import { loadRelated, planRelated } from './relation-loader.js';
import type { ManyOptions, Page, ReadOptions, SearchOptions } from './repository-options.js';
import type { SchemaRegistry } from './schema-registry.js';
import { compileSort, compileWhere } from './where-clause.js';

type Row = Record<string, unknown>;

/** Options of a read as the repository was given none: the common call, with no work per call. */
export const NO_OPTIONS: ReadOptions = Object.freeze({});
const MAX_PAGE_SIZE = 1000;

interface ReplicaCapable {
  replica(): DatabaseAdapter;
}

/**
 * The reads of one model's repository: the statements by key, written once, and the reads
 * whose conditions come with the call (checked, then written by the dialect). Rows come back
 * as entities, with their relations attached when `fetchRelated` asks.
 */
export class ReadStatements {
  readonly #model: TableModel;
  readonly #dialect: SqlDialect;
  readonly #db: DatabaseAdapter;
  readonly #replica: DatabaseAdapter;
  readonly #readFromReplicas: boolean;
  readonly #schema: SchemaRegistry | undefined;
  readonly #reader: ModelReader;
  readonly #keys: readonly ModelColumn[];
  readonly #get: DialectStatement;
  readonly #getLive: DialectStatement;
  readonly #exists: DialectStatement;
  readonly #existsLive: DialectStatement;

  constructor(
    model: TableModel,
    dialect: SqlDialect,
    db: DatabaseAdapter,
    readFromReplicas: boolean,
    schema: SchemaRegistry | undefined,
  ) {
    this.#model = model;
    this.#dialect = dialect;
    this.#db = db;
    this.#replica = 'replica' in db ? (db as unknown as ReplicaCapable).replica() : db;
    this.#readFromReplicas = readFromReplicas;
    this.#schema = schema;
    this.#reader = readerOf(model, dialect);
    this.#keys = keyColumnsOf(model);
    this.#get = dialect.selectByKey(model, false);
    this.#getLive = dialect.selectByKey(model, true);
    this.#exists = dialect.existsByKey(model, false);
    this.#existsLive = dialect.existsByKey(model, true);
  }

  /** The key's column values of an id, checked (ValidationError `INVALID_KEY`). */
  keyValues(id: unknown, path: string): unknown[] {
    return keyValues(this.#keys, id, path);
  }

  /** The entity with this key, or undefined. */
  getOrNone(id: unknown, options: ReadOptions): Promise<Row | undefined> {
    let values: unknown[];
    try {
      values = this.keyValues(id, 'id');
    } catch (error) {
      return Promise.reject(error);
    }
    // The common call (no options) runs a statement written once: no work per call but the key.
    if (options === NO_OPTIONS) {
      return fetchRow<Row>(this.#source(options), this.#getLive, values).then((row) =>
        row === undefined ? undefined : this.#reader.fromRow(row),
      );
    }
    return this.#getWith(values, options);
  }

  async #getWith(values: unknown[], options: ReadOptions): Promise<Row | undefined> {
    const plan = this.#plan(options);
    const source = this.#source(options);
    const statement = options.includeDeleted === true ? this.#get : this.#getLive;
    const row = await fetchRow<Row>(source, statement, values);
    if (row === undefined) return undefined;
    const entity = this.#reader.fromRow(row);
    if (plan !== undefined) await loadRelated(source, this.#dialect, plan, [entity]);
    return entity;
  }

  async contains(id: unknown, options: ReadOptions): Promise<boolean> {
    const statement = options.includeDeleted === true ? this.#exists : this.#existsLive;
    const found = await fetchValue<boolean | number>(
      this.#source(options),
      statement,
      this.keyValues(id, 'id'),
    );
    // A boolean on PostgreSQL; 1 or 0 where booleans are numbers (MySQL).
    return found === true || found === 1;
  }

  /** The entities with these ids that exist, in no particular order. */
  async range(ids: unknown, options: ReadOptions): Promise<Row[]> {
    if (!Array.isArray(ids)) misuse('INVALID_QUERY', 'ids', 'expected an array of ids');
    if (ids.length === 0) return [];
    const keys = this.#keys;
    const tuples = ids.map((id, i) => this.keyValues(id, `ids.${i}`));
    const dialect = this.#dialect;
    const where: Predicate =
      keys.length === 1
        ? {
            op: 'in',
            column: keys[0] as ModelColumn,
            values: tuples.map((t) => t[0]),
          }
        : { op: 'keyIn', columns: keys, lists: keys.map((_, k) => tuples.map((t) => t[k])) };
    const query = { where: [where], live: options.includeDeleted !== true, order: [] };
    const args: unknown[] = [];
    return this.#many(dialect.select(this.#model, query, args), args, options);
  }

  /** Entities matching `where`, sorted, limited, offset. */
  async getMany(options: ManyOptions<unknown>): Promise<Row[]> {
    const order =
      options.offset === undefined
        ? compileSort(this.#model, options.sort)
        : this.#stableOrder(options.sort);
    const query: ReadQuery = {
      where: compileWhere(this.#model, options.where),
      live: options.includeDeleted !== true,
      order,
      limit: options.limit === undefined ? undefined : checkCount(options.limit, 'limit', 0),
      offset: options.offset === undefined ? undefined : checkCount(options.offset, 'offset', 0),
    };
    const args: unknown[] = [];
    return this.#many(this.#dialect.select(this.#model, query, args), args, options);
  }

  async count(where: unknown, options: ReadOptions): Promise<number> {
    const query = this.#filter(where, options, []);
    const args: unknown[] = [];
    const text = this.#dialect.count(this.#model, query, args);
    return Number(await this.#source(options).fetchVal(text, args));
  }

  /**
   * One page of matches and the total over all pages, in one statement (a second, a count,
   * only for a page past the end) — or, where the dialect has no such statement, the page and
   * the count side by side.
   */
  async search(options: SearchOptions<unknown>): Promise<Page<Row>> {
    const plan = this.#plan(options);
    const page = checkCount(options.page ?? 1, 'page', 1);
    const size = checkCount(options.pageSize ?? 20, 'pageSize', 1);
    if (size > MAX_PAGE_SIZE) {
      invalidValue('PAGE_SIZE_EXCEEDED', 'pageSize', `must be at most ${MAX_PAGE_SIZE}`);
    }
    const query: ReadQuery = {
      ...this.#filter(options.where, options, this.#stableOrder(options.sort)),
      limit: size,
      offset: (page - 1) * size,
    };
    const args: unknown[] = [];
    const dialect = this.#dialect;
    const source = this.#source(options);
    let rows: Row[];
    let total: number;
    if (dialect.selectPage === undefined) {
      const countArgs: unknown[] = [];
      const counting = dialect.count(this.#model, query, countArgs);
      const [found, n] = await Promise.all([
        source.fetch<Row>(dialect.select(this.#model, query, args), args),
        source.fetchVal(counting, countArgs),
      ]);
      rows = found;
      total = Number(n);
    } else {
      rows = await source.fetch<Row>(dialect.selectPage(this.#model, query, args), args);
      if (rows.length > 0) total = Number(rows[0]?.[TOTAL_COLUMN]);
      else if (page === 1) total = 0;
      else total = await this.count(options.where, options);
    }
    const items = rows.map((row) => this.#reader.fromRow(row));
    if (plan !== undefined) await loadRelated(source, this.#dialect, plan, items);
    return { items, total };
  }

  /** The reader's conversion of a row to an entity. */
  fromRow(row: Row): Row {
    return this.#reader.fromRow(row);
  }

  #filter(where: unknown, options: ReadOptions, order: readonly SortItem[]): ReadQuery {
    return {
      where: compileWhere(this.#model, where),
      live: options.includeDeleted !== true,
      order,
    };
  }

  /** The sort asked for, then the key: pages neither repeat nor skip rows with equal keys. */
  #stableOrder(sort: unknown): SortItem[] {
    const order = compileSort(this.#model, sort);
    for (const column of this.#keys) {
      if (!order.some((item) => item.column === column)) order.push({ column, descending: false });
    }
    return order;
  }

  #source(options: ReadOptions): DatabaseAdapter {
    return (options.replica ?? this.#readFromReplicas) ? this.#replica : this.#db;
  }

  async #many(text: string, args: unknown[], options: ReadOptions): Promise<Row[]> {
    const plan = this.#plan(options);
    const source = this.#source(options);
    const rows = await source.fetch<Row>(text, args);
    const entities = rows.map((row) => this.#reader.fromRow(row));
    if (plan !== undefined) await loadRelated(source, this.#dialect, plan, entities);
    return entities;
  }

  #plan(options: ReadOptions) {
    return options.fetchRelated === undefined || options.fetchRelated.length === 0
      ? undefined
      : planRelated(this.#schema, this.#model, options.fetchRelated);
  }
}
