import type { ModelColumn, TableModel } from '../model.js';
import type { ManyToManyRelation } from '../relation.js';
import { POSTGRES_TYPES, quote } from './postgres-conditions.js';

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
