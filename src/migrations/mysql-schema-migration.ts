import { mysqlDialect } from '../data/dialect/mysql-dialect.js';
import { columnSql, createTableSql } from '../data/dialect/mysql-schema.js';
import type { SqlDialect } from '../data/dialect/sql-dialect.js';
import type { SchemaObject } from '../data/schema-definition.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';

/** What the MySQL path needs of a schema registry: its definitions in a dialect. */
export interface DialectSchemaSource {
  definitions(dialect?: SqlDialect): readonly SchemaObject[];
}

const quote = (name: string): string => `\`${name}\``;

/**
 * The changes that take a live MySQL database to a registry's definitions, as up and down
 * statements: what is missing — tables, columns of existing tables, indexes, checks and
 * foreign keys, known by name (information_schema) — in the registry's order. Types,
 * nullability and defaults of existing columns, and what the registry no longer has, are
 * not compared on MySQL.
 */
export async function mysqlSchemaChanges(
  registry: DialectSchemaSource,
  db: DatabaseAdapter,
): Promise<{ up: string[]; down: string[] }> {
  const objects = registry.definitions(mysqlDialect);
  const where = 'TABLE_SCHEMA = DATABASE()';
  const columns = await db.fetch<{ t: string; c: string }>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE ${where}`,
  );
  const named = await db.fetch<{ t: string; n: string }>(
    `SELECT TABLE_NAME AS t, INDEX_NAME AS n FROM information_schema.STATISTICS WHERE ${where} ` +
      `UNION SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE ${where}`,
  );
  const tables = new Map<string, Set<string>>();
  for (const r of columns) {
    const set = tables.get(r.t) ?? new Set<string>();
    set.add(r.c);
    tables.set(r.t, set);
  }
  const present = new Set(named.map((r) => `${r.t}.${r.n}`));
  const up: string[] = [];
  const down: string[] = [];
  for (const o of objects) {
    if (o.kind === 'table') {
      const live = tables.get(o.name);
      if (live === undefined) {
        up.push(createTableSql(o, false));
        down.unshift(`DROP TABLE ${quote(o.name)}`);
        continue;
      }
      for (const c of o.columns) {
        if (live.has(c.name)) continue;
        up.push(`ALTER TABLE ${quote(o.name)} ADD COLUMN ${columnSql(c)}`);
        down.unshift(`ALTER TABLE ${quote(o.name)} DROP COLUMN ${quote(c.name)}`);
      }
      continue;
    }
    if (present.has(`${o.table}.${o.name}`)) continue;
    up.push(mysqlDialect.createStatement(o));
    down.unshift(
      o.kind === 'index'
        ? `DROP INDEX ${quote(o.name)} ON ${quote(o.table)}`
        : `ALTER TABLE ${quote(o.table)} DROP ${o.kind === 'foreignKey' ? 'FOREIGN KEY' : 'CONSTRAINT'} ${quote(o.name)}`,
    );
  }
  return { up, down };
}
