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
import { liveCondition, POSTGRES_TYPES, quote } from './postgres-conditions.js';

function columnOf(c: ModelColumn, audit: boolean): ColumnDefinition {
  return {
    name: c.column,
    type: POSTGRES_TYPES[c.codec.storage],
    notNull: !c.codec.nullable && c.role !== 'computed',
    // Rows written before `extra` existed read back as no extra fields.
    default: c.role === 'extra' && !audit ? "'{}'::jsonb" : undefined,
  };
}

function keyType(model: TableModel): string {
  const key = model.column(model.primaryKey[0] as string);
  return key === undefined ? 'uuid' : POSTGRES_TYPES[key.codec.storage];
}

/** An index on one column, `"<table>_<column>_idx"` (the name cut to PostgreSQL's 63 bytes). */
export function columnIndexDefinition(table: string, column: string): IndexDefinition {
  const name = `${table}_${column}`.slice(0, 59);
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
  const tables: TableDefinition[] = [
    {
      kind: 'table',
      name: model.table,
      columns: model.columns.map((c) => columnOf(c, false)),
      primaryKey: model.primaryKey.map((p) => model.column(p)?.column ?? p),
    },
  ];
  if (model.auditTable !== undefined) {
    // Every replaced version: the same columns, keyed by entity and version.
    tables.push({
      kind: 'table',
      name: model.auditTable,
      columns: model.columns.map((c) => columnOf(c, true)),
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
 * Unique indexes (partial: among live rows, so that a deleted entity frees its values),
 * indexes and checks of a model's table.
 */
export function constraintDefinitions(model: TableModel): (IndexDefinition | CheckDefinition)[] {
  const live = liveCondition(model);
  const table = model.table;
  const columns = (c: { columns: readonly { column: string }[] }) => c.columns.map((x) => x.column);
  return [
    ...model.constraints.unique.map(
      (u): IndexDefinition => ({
        kind: 'index',
        name: u.name,
        table,
        columns: columns(u),
        unique: true,
        where: live === '' ? undefined : live,
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

/** `"name" type NOT NULL DEFAULT …`: a column as CREATE TABLE and ADD COLUMN write it. */
export function columnSql(c: ColumnDefinition): string {
  const notNull = c.notNull ? ' NOT NULL' : '';
  const fallback = c.default === undefined ? '' : ` DEFAULT ${c.default}`;
  return `${quote(c.name)} ${c.type}${notNull}${fallback}`;
}

/** `CREATE TABLE [IF NOT EXISTS] …`, a column a line, then the primary key (if any). */
export function createTableSql(t: TableDefinition, ifNotExists: boolean): string {
  const key = t.primaryKey.length === 0 ? [] : [`PRIMARY KEY (${names(t.primaryKey)})`];
  const lines = [...t.columns.map(columnSql), ...key];
  const guard = ifNotExists ? 'IF NOT EXISTS ' : '';
  return `CREATE TABLE ${guard}${quote(t.name)} (\n${lines.map((l) => `  ${l}`).join(',\n')}\n)`;
}

/** `CREATE [UNIQUE] INDEX [IF NOT EXISTS] … [WHERE …]`. */
export function createIndexSql(i: IndexDefinition, ifNotExists: boolean): string {
  const unique = i.unique ? 'UNIQUE ' : '';
  const guard = ifNotExists ? 'IF NOT EXISTS ' : '';
  const where = i.where === undefined ? '' : ` WHERE ${i.where}`;
  return `CREATE ${unique}INDEX ${guard}${quote(i.name)} ON ${quote(i.table)} (${names(i.columns)})${where}`;
}

/** What follows `ADD CONSTRAINT "name"`: `CHECK (…)` or `FOREIGN KEY (…) REFERENCES …`. */
export function constraintSql(c: CheckDefinition | ForeignKeyDefinition): string {
  if (c.kind === 'check') return `CHECK (${c.expression})`;
  const target = `${quote(c.references.table)} (${names(c.references.columns)})`;
  return `FOREIGN KEY (${names(c.columns)}) REFERENCES ${target}`;
}

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * `ALTER TABLE … ADD CONSTRAINT` unless a constraint of that name is on the table: PostgreSQL
 * has no `ADD CONSTRAINT IF NOT EXISTS`, and `ensureSchema` runs on tables that exist.
 */
function addConstraintIfMissing(c: CheckDefinition | ForeignKeyDefinition): string {
  return (
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = ${literal(c.name)} ` +
    `AND conrelid = ${literal(quote(c.table))}::regclass) THEN ` +
    `ALTER TABLE ${quote(c.table)} ADD CONSTRAINT ${quote(c.name)} ${constraintSql(c)}; END IF; END $$`
  );
}

/** The statement that creates an object unless it exists. */
export function createStatement(object: SchemaObject): string {
  switch (object.kind) {
    case 'table':
      return createTableSql(object, true);
    case 'index':
      return createIndexSql(object, true);
    default:
      return addConstraintIfMissing(object);
  }
}
