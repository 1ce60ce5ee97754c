import type { ModelColumn, TableModel } from '../model.js';
import type { ManyToManyRelation } from '../relation.js';
import type {
  CheckDefinition,
  ColumnDefinition,
  ForeignKeyDefinition,
  IndexDefinition,
  SchemaObject,
  TableDefinition,
} from '../schema-definition.js';
import { INDEXED_TEXT, liveCondition, MYSQL_TYPES, quote } from './mysql-conditions.js';
import type { DialectStatement } from './sql-dialect.js';

/**
 * The generated column of a table with unique constraints and deletes that keep the row:
 * 1 for a live row, NULL for a deleted one. MySQL has no partial indexes; a unique index
 * ending with this column holds among live rows only, as NULLs never collide.
 */
export const LIVE_COLUMN = '_live';

/** How tables are created: InnoDB, text compared byte for byte as PostgreSQL compares it. */
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** The columns of a model that some index covers: their text must be VARCHAR, not TEXT. */
function indexedColumns(model: TableModel): Set<string> {
  const indexed = new Set(model.primaryKey.map((p) => model.column(p)?.column ?? p));
  for (const c of [...model.constraints.unique, ...model.constraints.indexes]) {
    for (const column of c.columns) indexed.add(column.column);
  }
  return indexed;
}

function typeOf(c: ModelColumn, indexed: ReadonlySet<string>): string {
  return c.codec.storage === 'text' && indexed.has(c.column)
    ? INDEXED_TEXT
    : MYSQL_TYPES[c.codec.storage];
}

function columnOf(c: ModelColumn, indexed: ReadonlySet<string>, audit: boolean): ColumnDefinition {
  return {
    name: c.column,
    type: typeOf(c, indexed),
    notNull: !c.codec.nullable && c.role !== 'computed',
    // Rows written before `extra` existed read back as no extra fields. An expression
    // default: MySQL takes no literal default for a JSON column.
    default: c.role === 'extra' && !audit ? "('{}')" : undefined,
  };
}

/** Whether unique indexes of the model need {@link LIVE_COLUMN}. */
function needsLiveColumn(model: TableModel): boolean {
  return model.constraints.unique.length > 0 && liveCondition(model) !== '';
}

function keyType(model: TableModel): string {
  const key = model.column(model.primaryKey[0] as string);
  return key === undefined ? MYSQL_TYPES.uuid : typeOf(key, indexedColumns(model));
}

/** An index on one column, `<table>_<column>_idx` (the name cut to MySQL's 64 characters). */
export function columnIndexDefinition(table: string, column: string): IndexDefinition {
  const name = `${table}_${column}`.slice(0, 60);
  return {
    kind: 'index',
    name: `${name}_idx`,
    table,
    columns: [column],
    unique: false,
    where: undefined,
  };
}

/** A model's table, then its audit table. */
export function tableDefinitions(model: TableModel): TableDefinition[] {
  const indexed = indexedColumns(model);
  const columns = model.columns.map((c) => columnOf(c, indexed, false));
  if (needsLiveColumn(model)) {
    columns.push({
      name: LIVE_COLUMN,
      type: `TINYINT AS (IF(${liveCondition(model)}, 1, NULL)) VIRTUAL`,
      notNull: false,
      default: undefined,
    });
  }
  const tables: TableDefinition[] = [
    {
      kind: 'table',
      name: model.table,
      columns,
      primaryKey: model.primaryKey.map((p) => model.column(p)?.column ?? p),
    },
  ];
  if (model.auditTable !== undefined) {
    tables.push({
      kind: 'table',
      name: model.auditTable,
      columns: model.columns.map((c) => columnOf(c, indexed, true)),
      primaryKey: ['entity_id', 'version'],
    });
  }
  return tables;
}

/** The association table of a many-to-many relation and the index on its second column. */
export function associationDefinitions(r: ManyToManyRelation): [TableDefinition, IndexDefinition] {
  return [
    {
      kind: 'table',
      name: r.through,
      columns: [
        { name: r.fromColumn, type: keyType(r.from), notNull: true, default: undefined },
        { name: r.targetColumn, type: keyType(r.target), notNull: true, default: undefined },
      ],
      primaryKey: [r.fromColumn, r.targetColumn],
    },
    columnIndexDefinition(r.through, r.targetColumn),
  ];
}

/**
 * Unique indexes (among live rows: their last column is {@link LIVE_COLUMN} when rows are
 * deleted softly), indexes and checks of a model's table.
 */
export function constraintDefinitions(model: TableModel): (IndexDefinition | CheckDefinition)[] {
  const table = model.table;
  const live = needsLiveColumn(model) ? [LIVE_COLUMN] : [];
  const columns = (c: { columns: readonly { column: string }[] }) => c.columns.map((x) => x.column);
  return [
    ...model.constraints.unique.map(
      (u): IndexDefinition => ({
        kind: 'index',
        name: u.name,
        table,
        columns: [...columns(u), ...live],
        unique: true,
        where: undefined,
      }),
    ),
    ...model.constraints.indexes.map(
      (i): IndexDefinition => ({
        kind: 'index',
        name: i.name,
        table,
        columns: columns(i),
        unique: false,
        where: undefined,
      }),
    ),
    ...model.constraints.checks.map(
      (c): CheckDefinition => ({ kind: 'check', name: c.name, table, expression: c.expression }),
    ),
  ];
}

const names = (columns: readonly string[]): string => columns.map(quote).join(', ');

/** `` `name` type NOT NULL DEFAULT … ``: a column as CREATE TABLE and ADD COLUMN write it. */
export function columnSql(c: ColumnDefinition): string {
  const notNull = c.notNull ? ' NOT NULL' : '';
  const fallback = c.default === undefined ? '' : ` DEFAULT ${c.default}`;
  return `${quote(c.name)} ${c.type}${notNull}${fallback}`;
}

/** `CREATE TABLE [IF NOT EXISTS] …`, a column a line, the primary key, the table options. */
export function createTableSql(t: TableDefinition, ifNotExists: boolean): string {
  const key = t.primaryKey.length === 0 ? [] : [`PRIMARY KEY (${names(t.primaryKey)})`];
  const lines = [...t.columns.map(columnSql), ...key];
  const guard = ifNotExists ? 'IF NOT EXISTS ' : '';
  return `CREATE TABLE ${guard}${quote(t.name)} (\n${lines.map((l) => `  ${l}`).join(',\n')}\n) ${TABLE_OPTIONS}`;
}

/** `CREATE [UNIQUE] INDEX …` (MySQL 8 has no `IF NOT EXISTS` for it: {@link presenceOf}). */
export function createIndexSql(i: IndexDefinition): string {
  const unique = i.unique ? 'UNIQUE ' : '';
  return `CREATE ${unique}INDEX ${quote(i.name)} ON ${quote(i.table)} (${names(i.columns)})`;
}

/** `ALTER TABLE … ADD CONSTRAINT … CHECK (…)` or `… FOREIGN KEY (…) REFERENCES …`. */
export function addConstraintSql(c: CheckDefinition | ForeignKeyDefinition): string {
  const body =
    c.kind === 'check'
      ? `CHECK (${c.expression})`
      : `FOREIGN KEY (${names(c.columns)}) REFERENCES ${quote(c.references.table)} (${names(c.references.columns)})`;
  return `ALTER TABLE ${quote(c.table)} ADD CONSTRAINT ${quote(c.name)} ${body}`;
}

/**
 * The statement that creates an object: a table unless it exists; an index or a constraint
 * as is (MySQL 8 knows no `IF NOT EXISTS` for them; `ensureSchema` asks {@link presenceOf} first).
 */
export function createStatement(object: SchemaObject): string {
  switch (object.kind) {
    case 'table':
      return createTableSql(object, true);
    case 'index':
      return createIndexSql(object);
    default:
      return addConstraintSql(object);
  }
}

/**
 * A read giving a row when an index or constraint of that name is on its table already
 * (args: none; the names are literals, checked identifiers). Undefined for a table, whose
 * CREATE says IF NOT EXISTS itself.
 */
export function presenceOf(object: SchemaObject): DialectStatement | undefined {
  if (object.kind === 'table') return undefined;
  const where = `TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${literal(object.table)}`;
  const text =
    object.kind === 'index'
      ? `SELECT 1 FROM information_schema.STATISTICS WHERE ${where} AND INDEX_NAME = ${literal(object.name)} LIMIT 1`
      : `SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE ${where} AND CONSTRAINT_NAME = ${literal(object.name)} LIMIT 1`;
  return { text };
}

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
