import type { StorageType } from '../field-codec.js';
import type { ModelColumn, TableModel } from '../model.js';
import type { BelongsToRelation, ManyToManyRelation } from '../relation.js';
import type {
  CheckDefinition,
  ForeignKeyDefinition,
  IndexDefinition,
  SchemaObject,
  TableDefinition,
} from '../schema-definition.js';

/**
 * One statement as a dialect writes it, built once per model (or relation) and run many
 * times. A dialect whose placeholders cannot be numbered (`?`) or whose statements cannot
 * return rows (no `RETURNING`, no writing `WITH`) says so here; the repository passes the
 * same arguments whatever the dialect, and {@link runStatement} does the rest.
 */
export interface DialectStatement {
  /** The text, with the dialect's placeholders. */
  readonly text: string;
  /**
   * For each placeholder in order, the index of the argument it takes (`?` dialects, where an
   * argument used twice is passed twice). Absent: placeholder n takes argument n (`$n`).
   */
  readonly slots?: readonly number[];
  /**
   * Statements to run after this one, in the same transaction, with the same arguments; the
   * result of the last is the result. For dialects that need several statements where
   * PostgreSQL needs one (a versioned save without a writing `WITH`, an upsert without
   * `RETURNING`).
   */
  readonly followedBy?: readonly DialectStatement[];
  /**
   * The statement returns no rows; its result is one empty row when it wrote at least one
   * row, none otherwise — for a last step whose count says all (MySQL's versioned update,
   * where a read back would cost a round trip).
   */
  readonly rowWhenWritten?: boolean;
}

/** A comparison operator of `where`. */
export type Comparison = '=' | '<>' | '<' | '<=' | '>' | '>=';

/**
 * One checked condition of a `where`, as data: the repository checks names and values, the
 * dialect writes the SQL. Values are column values already (`toColumnValue`), except the
 * text of a pattern, which the dialect escapes and wraps.
 */
export type Predicate =
  | {
      readonly op: 'compare';
      readonly column: ModelColumn;
      readonly sign: Comparison;
      readonly value: unknown;
    }
  | {
      readonly op: 'like';
      readonly column: ModelColumn;
      /** Where the text may sit in the value. */
      readonly match: 'contains' | 'startsWith' | 'endsWith';
      readonly caseless: boolean;
      /** The text, taken literally (`%` and `_` in it match themselves). */
      readonly text: string;
    }
  | {
      readonly op: 'in' | 'notIn';
      readonly column: ModelColumn;
      readonly values: readonly unknown[];
    }
  | {
      /** The row's key is one of these tuples (composite keys): one list per key column. */
      readonly op: 'keyIn';
      readonly columns: readonly ModelColumn[];
      readonly lists: readonly (readonly unknown[])[];
    }
  | { readonly op: 'isNull' | 'isNotNull'; readonly column: ModelColumn };

/** One ORDER BY item. */
export interface SortItem {
  readonly column: ModelColumn;
  readonly descending: boolean;
}

/** A read whose conditions come with the call (`getMany`, `count`, `search`). */
export interface ReadQuery {
  readonly where: readonly Predicate[];
  /** Skip deleted rows (inactive versions, `deletedAt` set). */
  readonly live: boolean;
  readonly order: readonly SortItem[];
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** The column of a page's rows that carries the number of matches in all pages. */
export const TOTAL_COLUMN = '__total';
/** The column of a many-to-many read that carries the key of the entity a row is paired with. */
export const OWNER_COLUMN = '__owner';

/**
 * The stamp columns of a versioned update and the argument each takes: 0 the entity id, 1
 * the version read, 2 the next version, 3 now, 4 changedById. Every other column but the key
 * and `createdAt` takes the entity's value ({@link versionedDataColumns}).
 */
export const VERSION_STAMP: Readonly<Record<string, number>> = {
  previousVersion: 1,
  version: 2,
  changedOn: 3,
  changedById: 4,
  updatedAt: 3,
};

/** The columns reads select: every column but stored computed values. */
export function readColumns(model: TableModel): readonly ModelColumn[] {
  return model.columns.filter((c) => c.role !== 'computed');
}

/** What a versioned update takes from the entity, in argument order after the five stamps. */
export function versionedDataColumns(model: TableModel): readonly ModelColumn[] {
  return model.columns.filter(
    (c) => c.role !== 'key' && c.property !== 'createdAt' && !(c.property in VERSION_STAMP),
  );
}

/**
 * Every piece of SQL `libretto/data` runs, for one database family. The repository, the
 * relation loader and the schema registry hold no SQL: they check names and values, pick
 * the statement and pass arguments. Statements of a model are asked for once (when its
 * repository is made, or on first use) and kept; only reads whose conditions come with the
 * call (`getMany`, `count`, `search`) are written per call.
 *
 * Rows come back keyed by property name (`firstName`), whatever the column is called.
 *
 * @example
 * const people = repository(Person, db, { dialect: postgresDialect });
 */
export interface SqlDialect {
  /** For messages: `postgres`, `mysql`. */
  readonly name: string;

  // ——— values ———
  /** The SQL type of a column holding this. */
  columnType(storage: StorageType): string;
  /** A list passed as one parameter (`= ANY($1)` takes an array; others may take JSON text). */
  listArgument(values: readonly unknown[]): unknown;
  /**
   * How a value of this storage type, as the driver returns it, becomes what the field's
   * conversions expect (what `pg` returns: a boolean, a parsed JSON document); undefined, or
   * no method, when it comes back as is. Asked once per column of a model.
   */
  columnDecoder?(storage: StorageType): ((value: unknown) => unknown) | undefined;

  /**
   * The name of the constraint or unique index a driver error says was violated, for drivers
   * that do not give it as the error's `constraint` (mysql2 gives it in the message only).
   */
  violatedConstraint?(driverError: unknown): string | undefined;

  // ——— reads ———
  /** The row with this key (args: key values); `live` skips deleted rows. */
  selectByKey(model: TableModel, live: boolean): DialectStatement;
  /** One value, true (or 1): whether a row has this key (args: key values). */
  existsByKey(model: TableModel, live: boolean): DialectStatement;
  /** The rows a query matches; appends the query's arguments to `args`. */
  select(model: TableModel, query: ReadQuery, args: unknown[]): string;
  /** One value, `n`: how many rows a query matches. */
  count(model: TableModel, query: ReadQuery, args: unknown[]): string;
  /**
   * As {@link select}, each row with {@link TOTAL_COLUMN}, the count over all pages: a page
   * and its total in one statement. Optional: without it a page is {@link select} and
   * {@link count}, run side by side — MariaDB's window count materializes every match (a
   * search page measured 16 ms so, against 8 ms and 4 ms for the two statements).
   */
  selectPage?(model: TableModel, query: ReadQuery, args: unknown[]): string;
  /** Every version of an entity, audit table and current row (args: entity id). */
  history(model: TableModel): DialectStatement;

  // ——— relations ———
  /** Live rows whose `column` is one of a list (args: one list, {@link listArgument}). */
  selectWhereIn(model: TableModel, column: ModelColumn): DialectStatement;
  /** Live targets paired with a list of owners, each with {@link OWNER_COLUMN} (args: one list). */
  selectThrough(relation: ManyToManyRelation): DialectStatement;
  /** Pairs two keys; no error when the pair exists (args: own key, other key). */
  relate(relation: ManyToManyRelation): DialectStatement;
  /** Removes a pair; the count of rows removed (args: own key, other key). */
  unrelate(relation: ManyToManyRelation): DialectStatement;

  // ——— writes ———
  /** Inserts a row (args: every column's value, in `model.columns` order). */
  insert(model: TableModel): DialectStatement;
  /** Inserts or updates by key (args as {@link insert}); with timestamps, a row `{ createdAt }` as stored. */
  upsert(model: TableModel): DialectStatement;
  /** Inserts many rows (args: JSON text of an array of objects keyed by column name). */
  bulkInsert(model: TableModel): DialectStatement;
  /**
   * A versioned save over the version read: locks the row and, if its version is the one
   * read, copies it to the audit table and writes the next one (args: {@link VERSION_STAMP},
   * then {@link versionedDataColumns}). A row `{ created }` (createdAt, or anything without
   * timestamps) when it wrote; no row when the stored version is another one or there is none.
   */
  versionedUpdate(model: TableModel): DialectStatement;
  /**
   * Why a versioned update wrote nothing (args: entity id): a row `{ stored, gone }`, the
   * stored version as text or null, and whether (true or 1) the audit table holds versions of it.
   */
  versionProbe(model: TableModel): DialectStatement;
  /** Sets `deletedAt` (and `updatedAt`) of a live row (args: key values, now); the row as read. */
  softDelete(model: TableModel): DialectStatement;
  /** Removes a row, moving it to the audit table if there is one (args: key values); the count. */
  hardDelete(model: TableModel): DialectStatement;

  // ——— schema ———
  /** A model's table, then its audit table (same columns, keyed by entity and version). */
  tableDefinitions(model: TableModel): TableDefinition[];
  /**
   * A model's unique indexes (among live rows), indexes and checks — never on its audit
   * table, where versions repeat — under the names `model.constraints` gives: errors are
   * told apart by those names.
   */
  constraintDefinitions(model: TableModel): (IndexDefinition | CheckDefinition)[];
  /** An association table and the index on its second column. */
  associationDefinitions(relation: ManyToManyRelation): [TableDefinition, IndexDefinition];
  /** An index on one column (a relation's foreign-key field). */
  columnIndexDefinition(table: string, column: string): IndexDefinition;
  /** A `belongsTo` relation's FOREIGN KEY, named `relation.constraint`. */
  foreignKeyDefinition(relation: BelongsToRelation): ForeignKeyDefinition;
  /**
   * The statement creating an object unless it exists (`ensureSchema` runs on databases
   * that have some of them already) — or, for an object {@link presence} can find, the
   * statement creating it.
   */
  createStatement(object: SchemaObject): string;
  /**
   * For engines whose DDL cannot say IF NOT EXISTS for every object (indexes and constraints
   * on MySQL 8): a read giving a row when the object exists; `ensureSchema` runs it first and
   * skips the object when it does. Undefined (or no method) when `createStatement` is enough.
   */
  presence?(object: SchemaObject): DialectStatement | undefined;
}
