import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { MIGRATIONS_TABLE } from './migration-history.js';

/** A column of a live table. */
export interface LiveColumn {
  readonly name: string;
  /** The type as PostgreSQL spells it (`format_type`): `timestamp with time zone`. */
  readonly type: string;
  readonly notNull: boolean;
  /** The DEFAULT expression as PostgreSQL prints it, or undefined. */
  readonly default: string | undefined;
}

/** An index of a live table, other than its primary key's. */
export interface LiveIndex {
  readonly name: string;
  /** Its key columns (or expressions) in order. */
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** The condition of a partial index, as PostgreSQL prints it. */
  readonly where: string | undefined;
  /** The statement that creates it (`pg_get_indexdef`). */
  readonly definition: string;
  /** Whether a UNIQUE constraint owns it (it goes with the constraint). */
  readonly constraint: boolean;
}

/** A UNIQUE, CHECK or FOREIGN KEY constraint of a live table. */
export interface LiveConstraint {
  readonly name: string;
  readonly kind: 'unique' | 'check' | 'foreignKey';
  readonly columns: readonly string[];
  /** What follows `ADD CONSTRAINT "name"` (`pg_get_constraintdef`). */
  readonly definition: string;
  /** The table and columns a foreign key refers to. */
  readonly references: { readonly table: string; readonly columns: readonly string[] } | undefined;
}

/** A live table. */
export interface LiveTable {
  readonly name: string;
  /** In their order in the table. */
  readonly columns: readonly LiveColumn[];
  readonly primaryKey: { readonly name: string; readonly columns: readonly string[] } | undefined;
  /** By name. */
  readonly indexes: readonly LiveIndex[];
  /** By name. */
  readonly constraints: readonly LiveConstraint[];
}

/** The tables of one schema of a live database, by name. */
export interface LiveSchema {
  readonly schema: string;
  readonly tables: readonly LiveTable[];
}

/** Options of {@link introspectSchema}. */
export interface IntrospectOptions {
  /** The schema to read. Default `public`. */
  readonly schema?: string;
  /** A table left out: the migrations' own. Default `libretto_migrations`. */
  readonly migrationsTable?: string;
}

const KEYS = new Set(['schema', 'migrationsTable']);

const TABLES = `SELECT c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname`;

const COLUMNS = `SELECT c.relname AS "table", a.attname AS name,
  format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
  pg_get_expr(d.adbin, d.adrelid) AS "default"
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum`;

// Lists as JSON: pg and PGlite both parse it, whatever array handling they have.
const INDEXES = `SELECT t.relname AS "table", i.relname AS name, x.indisunique AS "unique",
  x.indisprimary AS "primary", pg_get_expr(x.indpred, x.indrelid) AS "where",
  pg_get_indexdef(x.indexrelid) AS definition,
  EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype = 'u') AS "constraint",
  (SELECT json_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k)
     FROM generate_series(1, x.indnkeyatts) AS k) AS columns
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = $1 AND t.relkind IN ('r', 'p')
ORDER BY t.relname, i.relname`;

const CONSTRAINTS = `SELECT t.relname AS "table", k.conname AS name, k.contype AS type,
  pg_get_constraintdef(k.oid, true) AS definition, f.relname AS "refTable",
  (SELECT json_agg(a.attname ORDER BY u.n) FROM unnest(k.conkey) WITH ORDINALITY AS u(num, n)
     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num) AS columns,
  (SELECT json_agg(a.attname ORDER BY u.n) FROM unnest(k.confkey) WITH ORDINALITY AS u(num, n)
     JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num) AS "refColumns"
FROM pg_constraint k
JOIN pg_class t ON t.oid = k.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE n.nspname = $1 AND k.contype IN ('p', 'u', 'c', 'f')
ORDER BY t.relname, k.conname`;

const KINDS = { u: 'unique', c: 'check', f: 'foreignKey' } as const;

/** By name, code point by code point: the same whatever the database's collation. */
const byName = <T extends { readonly name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** A JSON list as the driver gives it: parsed (pg, PGlite) or text. */
function list(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  return (typeof value === 'string' ? JSON.parse(value) : value) as string[];
}

/**
 * A definition with the schema's own name taken out (`ON public.person` → `ON person`): the
 * generated SQL names tables without a schema, and two schemas with the same tables read the
 * same.
 */
function relative(definition: string, schema: string): string {
  const name = /^[a-z_][a-z0-9_]*$/.test(schema) ? schema : `"${schema.replaceAll('"', '""')}"`;
  return definition
    .replaceAll(` ON ${name}.`, ' ON ')
    .replaceAll(`REFERENCES ${name}.`, 'REFERENCES ');
}

/** Whether the migrations table option names a table of `schema`, and which. */
function skippedTable(migrationsTable: string, schema: string): string | undefined {
  const parts = migrationsTable.split('.');
  if (parts.length === 1) return parts[0];
  return parts[0] === schema ? parts[1] : undefined;
}

/**
 * The tables of a live PostgreSQL schema — columns, primary keys, indexes (partial ones with
 * their condition), unique, check and foreign-key constraints — read from the catalogue
 * through any `DatabaseAdapter` (pg, PGlite, the HA master). Sorted by name, so two databases
 * with the same schema give equal results. The migrations table is left out.
 *
 * @example
 * const live = await introspectSchema(db);
 * live.tables.map((t) => t.name); // ['organization', 'organization_audit', …]
 */
export async function introspectSchema(
  db: DatabaseAdapter,
  options: IntrospectOptions = {},
): Promise<LiveSchema> {
  rejectUnknownKeys('introspectSchema', options, KEYS);
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || schema === '') {
    invalidOption('introspectSchema', 'schema', 'must be a schema name');
  }
  const skipped = skippedTable(options.migrationsTable ?? MIGRATIONS_TABLE, schema);
  const [tables, columns, indexes, constraints] = [
    await db.fetch<{ name: string }>(TABLES, [schema]),
    await db.fetch<{
      table: string;
      name: string;
      type: string;
      notNull: boolean;
      default: string | null;
    }>(COLUMNS, [schema]),
    await db.fetch<{
      table: string;
      name: string;
      unique: boolean;
      primary: boolean;
      where: string | null;
      definition: string;
      constraint: boolean;
      columns: unknown;
    }>(INDEXES, [schema]),
    await db.fetch<{
      table: string;
      name: string;
      type: 'p' | 'u' | 'c' | 'f';
      definition: string;
      refTable: string | null;
      columns: unknown;
      refColumns: unknown;
    }>(CONSTRAINTS, [schema]),
  ];
  const of = <T extends { table: string }>(rows: readonly T[], table: string) =>
    rows.filter((r) => r.table === table);
  return {
    schema,
    tables: tables
      .filter((t) => t.name !== skipped)
      .sort(byName)
      .map((t): LiveTable => {
        const own = of(constraints, t.name);
        const primary = own.find((c) => c.type === 'p');
        return {
          name: t.name,
          columns: of(columns, t.name).map((c) => ({
            name: c.name,
            type: c.type,
            notNull: c.notNull,
            default: c.default ?? undefined,
          })),
          primaryKey:
            primary === undefined
              ? undefined
              : { name: primary.name, columns: list(primary.columns) },
          indexes: of(indexes, t.name)
            .filter((i) => !i.primary)
            .map((i) => ({
              name: i.name,
              columns: list(i.columns),
              unique: i.unique,
              where: i.where ?? undefined,
              definition: relative(i.definition, schema),
              constraint: i.constraint,
            }))
            .sort(byName),
          constraints: own
            .filter((c) => c.type !== 'p')
            .map((c) => ({
              name: c.name,
              kind: KINDS[c.type as keyof typeof KINDS],
              columns: list(c.columns),
              definition: relative(c.definition, schema),
              references:
                c.refTable === null
                  ? undefined
                  : { table: c.refTable, columns: list(c.refColumns) },
            }))
            .sort(byName),
        };
      }),
  };
}
