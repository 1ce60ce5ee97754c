import type { ModelColumn, TableModel } from '../model.js';
import type { ColumnConstraint } from '../model-constraints.js';
import type { BelongsToRelation, ManyToManyRelation } from '../relation.js';
import { liveCondition, POSTGRES_TYPES, quote } from './postgres-conditions.js';

function columnLine(c: ModelColumn, audit: boolean): string {
  const notNull = c.codec.nullable || c.role === 'computed' ? '' : ' NOT NULL';
  const fallback = c.role === 'extra' && !audit ? " DEFAULT '{}'::jsonb" : '';
  return `  ${quote(c.column)} ${POSTGRES_TYPES[c.codec.storage]}${notNull}${fallback}`;
}

function keyType(model: TableModel): string {
  const key = model.column(model.primaryKey[0] as string);
  return key === undefined ? 'uuid' : POSTGRES_TYPES[key.codec.storage];
}

/** `CREATE INDEX IF NOT EXISTS "<table>_<column>_idx"` (the name cut to PostgreSQL's 63 bytes). */
export function createIndex(table: string, column: string): string {
  const name = `${table}_${column}`.slice(0, 59);
  return `CREATE INDEX IF NOT EXISTS ${quote(`${name}_idx`)} ON ${quote(table)} (${quote(column)})`;
}

/** `CREATE TABLE IF NOT EXISTS` for a model's table, then its audit table. */
export function createTables(model: TableModel): string[] {
  const keys = model.primaryKey.map((p) => quote(model.column(p)?.column ?? p)).join(', ');
  const lines = model.columns.map((c) => columnLine(c, false));
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${quote(model.table)} (\n${lines.join(',\n')},\n  PRIMARY KEY (${keys})\n)`,
  ];
  if (model.auditTable !== undefined) {
    // Every replaced version: the same columns, keyed by entity and version.
    const auditLines = model.columns.map((c) => columnLine(c, true));
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${quote(model.auditTable)} (\n${auditLines.join(',\n')},\n  PRIMARY KEY ("entity_id", "version")\n)`,
    );
  }
  return statements;
}

/** The association table of a many-to-many relation and the index on its second column. */
export function createAssociationTable(r: ManyToManyRelation): string[] {
  const from = quote(r.fromColumn);
  const target = quote(r.targetColumn);
  return [
    `CREATE TABLE IF NOT EXISTS ${quote(r.through)} (${from} ${keyType(r.from)} NOT NULL, ${target} ${keyType(r.target)} NOT NULL, PRIMARY KEY (${from}, ${target}))`,
    createIndex(r.through, r.targetColumn),
  ];
}

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const columnList = (c: ColumnConstraint): string =>
  c.columns.map((x) => quote(x.column)).join(', ');

/**
 * `ALTER TABLE … ADD CONSTRAINT` unless a constraint of that name is on the table: PostgreSQL
 * has no `ADD CONSTRAINT IF NOT EXISTS`, and `ensureSchema` runs on tables that exist.
 */
function addConstraint(table: string, name: string, definition: string): string {
  return (
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = ${literal(name)} ` +
    `AND conrelid = ${literal(quote(table))}::regclass) THEN ` +
    `ALTER TABLE ${quote(table)} ADD CONSTRAINT ${quote(name)} ${definition}; END IF; END $$`
  );
}

/**
 * Unique indexes (partial: among live rows, so that a deleted entity frees its values),
 * indexes and checks of a model's table.
 */
export function createConstraints(model: TableModel): string[] {
  const table = quote(model.table);
  const live = liveCondition(model);
  const where = live === '' ? '' : ` WHERE ${live}`;
  return [
    ...model.constraints.unique.map(
      (u) =>
        `CREATE UNIQUE INDEX IF NOT EXISTS ${quote(u.name)} ON ${table} (${columnList(u)})${where}`,
    ),
    ...model.constraints.indexes.map(
      (i) => `CREATE INDEX IF NOT EXISTS ${quote(i.name)} ON ${table} (${columnList(i)})`,
    ),
    ...model.constraints.checks.map((c) =>
      addConstraint(model.table, c.name, `CHECK (${c.expression})`),
    ),
  ];
}

/** The FOREIGN KEY of a belongs-to relation, to the target's key. */
export function createForeignKey(r: BelongsToRelation): string {
  const key = r.target.column(r.target.primaryKey[0] as string);
  const target = `${quote(r.target.table)} (${quote(key?.column ?? 'entity_id')})`;
  return addConstraint(
    r.from.table,
    r.constraint ?? '',
    `FOREIGN KEY (${quote(r.foreignKey.column)}) REFERENCES ${target}`,
  );
}
