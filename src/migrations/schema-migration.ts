import type { SqlDialect } from '../data/dialect/sql-dialect.js';
import type { SchemaObject } from '../data/schema-definition.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { mysqlSchemaChanges } from './mysql-schema-migration.js';
import { type SchemaChange, schemaChanges } from './schema-changes.js';
import { introspectSchema } from './schema-introspection.js';

/** What {@link generateSchemaMigration} needs of a schema registry: its definitions (in a dialect). */
export interface SchemaSource {
  definitions(dialect?: SqlDialect): readonly SchemaObject[];
}

/** Options of {@link generateSchemaMigration}. */
export interface SchemaMigrationOptions {
  /**
   * Write destructive changes (drops, narrowing type changes, NOT NULL on an existing
   * column) as statements that run. Default false: they are written commented out.
   */
  readonly allowDestructive?: boolean;
  /**
   * The schema of the database to compare with. Default `public`. The SQL names tables
   * without a schema: it runs in the first schema of the `search_path`.
   */
  readonly schema?: string;
  /** The migrations' own table, left out of the comparison. Default `libretto_migrations`. */
  readonly migrationsTable?: string;
}

/** A migration from the live database to the registry's models. */
export interface SchemaMigration {
  /** The statements of the up part, each ending with `;`, a blank line between them. */
  readonly up: string;
  /** The statements undoing `up`, last change first. */
  readonly down: string;
  /** Each destructive change (whether written to run or commented out) and each note. */
  readonly warnings: readonly string[];
  /** Whether there is nothing to run: the database has what the registry defines (notes may remain in `warnings`). */
  readonly empty: boolean;
  /** The whole migration file: a header, `-- libretto:up`, the up part, `-- libretto:down`, the down part. */
  readonly text: string;
}

const KEYS = new Set(['allowDestructive', 'schema', 'migrationsTable']);

/** `a\nb` → `-- a\n-- b`. */
const commented = (sql: string): string =>
  sql
    .split('\n')
    .map((l) => `-- ${l}`)
    .join('\n');

/** The types of the definitions as `format_type` prints them, asked of the server itself. */
async function typeNames(db: DatabaseAdapter, objects: readonly SchemaObject[]) {
  const types = [
    ...new Set(objects.flatMap((o) => (o.kind === 'table' ? o.columns.map((c) => c.type) : []))),
  ].sort();
  const rows =
    types.length === 0
      ? []
      : await db.fetch<{ given: string; name: string }>(
          'SELECT t AS given, format_type(t::regtype, NULL) AS name FROM unnest($1::text[]) AS t',
          [types],
        );
  const names = new Map(rows.map((r) => [r.given, r.name]));
  return (type: string): string => names.get(type) ?? type;
}

function render(
  changes: readonly SchemaChange[],
  allowDestructive: boolean,
): { up: string; down: string; warnings: string[] } {
  const up: string[] = [];
  const down: string[] = [];
  const warnings: string[] = [];
  for (const c of changes) {
    const lines: string[] = [];
    const reverse: string[] = [];
    if (c.destructive !== undefined) {
      warnings.push(`destructive: ${c.destructive}`);
      lines.push(`-- WARNING: destructive: ${c.destructive}`);
    }
    if (c.note !== undefined) {
      if (c.destructive === undefined) warnings.push(c.note);
      (c.up === '' || c.destructive === undefined ? lines : reverse).push(`-- NOTE: ${c.note}`);
    }
    if (c.up !== '') {
      const runs = c.destructive === undefined || allowDestructive;
      lines.push(runs ? `${c.up};` : commented(`${c.up};`));
      reverse.push(runs ? `${c.down};` : commented(`${c.down};`));
    }
    up.push(lines.join('\n'));
    if (c.up !== '') down.unshift(reverse.join('\n'));
  }
  return { up: up.join('\n\n'), down: down.join('\n\n'), warnings };
}

/**
 * The migration that takes a live database to what a schema registry defines. On PostgreSQL:
 * from an empty database, every table, audit table, index, check and foreign key; after that,
 * what changed (new tables, columns, indexes, constraints; types, nullability, defaults),
 * found by reading the database's catalogue. Objects are known by the names the registry's
 * DDL gives them, so a migration generated and applied is found present by the next run.
 *
 * Destructive changes — a table or column the registry no longer has, a type change that
 * may not keep every value, NOT NULL on an existing column, a constraint or index dropped —
 * are written commented out under a `-- WARNING: destructive: …` line unless
 * `allowDestructive`, and listed in `warnings`. The text depends only on the registry and
 * the database (no dates in it): the same input gives the same file.
 *
 * On MySQL (a `Database` of `libretto/mysql`), in its dialect, only what is missing: tables,
 * columns of existing tables, indexes, checks and foreign keys; nothing is dropped or changed.
 *
 * @example
 * const migration = await generateSchemaMigration(schema, db);
 * if (!migration.empty) createMigrationFile('migrations', 'schema', { sql: migration.text });
 */
export async function generateSchemaMigration(
  registry: SchemaSource,
  db: DatabaseAdapter,
  options: SchemaMigrationOptions = {},
): Promise<SchemaMigration> {
  if (typeof (registry as Partial<SchemaSource> | null)?.definitions !== 'function') {
    invalidOption('generateSchemaMigration', 'registry', 'must be a SchemaRegistry');
  }
  if (typeof (db as Partial<DatabaseAdapter> | null)?.fetch !== 'function') {
    invalidOption('generateSchemaMigration', 'db', 'must be a Database');
  }
  rejectUnknownKeys('generateSchemaMigration', options, KEYS);
  if ((db as { engine?: { name?: unknown } }).engine?.name === 'mysql') {
    return mysqlSchemaMigration(registry, db);
  }
  const objects = registry.definitions();
  const live = await introspectSchema(db, {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.migrationsTable === undefined ? {} : { migrationsTable: options.migrationsTable }),
  });
  const changes = schemaChanges({ objects, typeName: await typeNames(db, objects) }, live);
  const { up, down, warnings } = render(changes, options.allowDestructive === true);
  const empty = !changes.some((c) => c.up !== '');
  const header = [
    '-- Generated by libretto from the schema registry: review it before applying.',
    ...(warnings.length === 0 ? [] : ['-- It has warnings: search for WARNING and NOTE.']),
  ];
  const text = `${header.join('\n')}\n\n-- libretto:up\n${up}\n\n-- libretto:down\n${down}\n`;
  return { up, down, warnings, empty, text };
}

/** On MySQL: what is missing, created (see {@link mysqlSchemaChanges}); no warnings. */
async function mysqlSchemaMigration(
  registry: SchemaSource,
  db: DatabaseAdapter,
): Promise<SchemaMigration> {
  const changes = await mysqlSchemaChanges(registry, db);
  const up = changes.up.map((s) => `${s};`).join('\n\n');
  const down = changes.down.map((s) => `${s};`).join('\n\n');
  const header = [
    '-- Generated by libretto from the schema registry for MySQL: review it before applying.',
    '-- Only what is missing is created; changed or removed columns and constraints are not compared.',
    '-- MySQL commits each statement: should one fail, those before it stay applied.',
  ];
  const text = `${header.join('\n')}\n\n-- libretto:up\n${up}\n\n-- libretto:down\n${down}\n`;
  return { up, down, warnings: [], empty: changes.up.length === 0, text };
}
