/**
 * The objects a schema registry's DDL creates, as data: what `ddl()` writes and what
 * `libretto/migrations` compares a live database with. A dialect builds them (it owns SQL
 * types and the partial-index condition) and writes the statement for each.
 */
export type SchemaObject =
  | TableDefinition
  | IndexDefinition
  | CheckDefinition
  | ForeignKeyDefinition;

/** One column of a table. */
export interface ColumnDefinition {
  readonly name: string;
  /** The SQL type as the dialect writes it (`timestamptz`, `double precision`). */
  readonly type: string;
  readonly notNull: boolean;
  /** The DEFAULT expression (SQL), or undefined. */
  readonly default: string | undefined;
}

/** A table: its columns in order and its primary key. */
export interface TableDefinition {
  readonly kind: 'table';
  readonly name: string;
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey: readonly string[];
}

/** An index, unique or not; `where` makes it partial (unique among live rows). */
export interface IndexDefinition {
  readonly kind: 'index';
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** The condition of a partial index (SQL), or undefined. */
  readonly where: string | undefined;
}

/** A CHECK constraint. */
export interface CheckDefinition {
  readonly kind: 'check';
  readonly name: string;
  readonly table: string;
  /** A boolean SQL expression over the table's columns. */
  readonly expression: string;
}

/** A FOREIGN KEY constraint. */
export interface ForeignKeyDefinition {
  readonly kind: 'foreignKey';
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly references: { readonly table: string; readonly columns: readonly string[] };
}
