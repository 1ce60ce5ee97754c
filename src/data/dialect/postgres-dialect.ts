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
import { foreignKeyDefinition } from './foreign-key.js';
import {
  keyCondition,
  liveCondition,
  orderText,
  POSTGRES_TYPES,
  quote,
  whereText,
} from './postgres-conditions.js';
import {
  associationDefinitions,
  columnIndexDefinition,
  constraintDefinitions,
  createStatement,
  tableDefinitions,
} from './postgres-schema.js';
import {
  type DialectStatement,
  OWNER_COLUMN,
  type ReadQuery,
  readColumns,
  type SqlDialect,
  TOTAL_COLUMN,
  VERSION_STAMP,
  versionedDataColumns,
} from './sql-dialect.js';

/** `"first_name" AS "firstName", …`, each column qualified by `alias` when given. */
function selectList(model: TableModel, alias?: string): string {
  const prefix = alias === undefined ? '' : `${quote(alias)}.`;
  return readColumns(model)
    .map((c) =>
      c.column === c.property && alias === undefined
        ? quote(c.column)
        : `${prefix}${quote(c.column)} AS ${quote(c.property)}`,
    )
    .join(', ');
}

const and = (a: string, b: string): string => (a === '' ? b : b === '' ? a : `${a} AND ${b}`);
const names = (columns: readonly ModelColumn[]): string =>
  columns.map((c) => quote(c.column)).join(', ');
const params = (n: number, from = 1): string =>
  Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

/** FROM, WHERE, ORDER BY, LIMIT and OFFSET of a read, its arguments appended to `args`. */
function tail(model: TableModel, query: ReadQuery, args: unknown[], paged: boolean): string {
  let condition = whereText(query.where, args).join(' AND ');
  if (query.live) condition = and(condition, liveCondition(model));
  let text = ` FROM ${quote(model.table)}`;
  if (condition !== '') text += ` WHERE ${condition}`;
  if (!paged) return text;
  const order = orderText(query.order);
  if (order !== '') text += ` ORDER BY ${order}`;
  if (query.limit !== undefined) text += ` LIMIT ${query.limit}`;
  if (query.offset !== undefined) text += ` OFFSET ${query.offset}`;
  return text;
}

/**
 * The SQL of `libretto/data` for PostgreSQL 13 and later, PGlite included: `$n` placeholders,
 * lists as one array parameter (`= ANY($1::uuid[])`), `RETURNING`, a versioned save in one
 * statement (a writing `WITH`), bulk inserts through `jsonb_to_recordset`. Every statement
 * is one text; none needs {@link DialectStatement.slots} or {@link DialectStatement.followedBy}.
 */
export class PostgresDialect implements SqlDialect {
  readonly name = 'postgres';

  columnType(storage: StorageType): string {
    return POSTGRES_TYPES[storage];
  }

  listArgument(values: readonly unknown[]): unknown {
    return values;
  }

  // ——— reads ———

  selectByKey(model: TableModel, live: boolean): DialectStatement {
    const where = and(keyCondition(model), live ? liveCondition(model) : '');
    return { text: `SELECT ${selectList(model)} FROM ${quote(model.table)} WHERE ${where}` };
  }

  existsByKey(model: TableModel, live: boolean): DialectStatement {
    const where = and(keyCondition(model), live ? liveCondition(model) : '');
    return { text: `SELECT EXISTS (SELECT 1 FROM ${quote(model.table)} WHERE ${where})` };
  }

  select(model: TableModel, query: ReadQuery, args: unknown[]): string {
    return `SELECT ${selectList(model)}${tail(model, query, args, true)}`;
  }

  count(model: TableModel, query: ReadQuery, args: unknown[]): string {
    return `SELECT count(*) AS n${tail(model, query, args, false)}`;
  }

  selectPage(model: TableModel, query: ReadQuery, args: unknown[]): string {
    const total = `count(*) OVER () AS ${quote(TOTAL_COLUMN)}`;
    return `SELECT ${selectList(model)}, ${total}${tail(model, query, args, true)}`;
  }

  history(model: TableModel): DialectStatement {
    const select = selectList(model);
    const current = `SELECT ${select} FROM ${quote(model.table)} WHERE "entity_id" = $1`;
    if (model.auditTable === undefined) return { text: current };
    return {
      text: `SELECT ${select} FROM ${quote(model.auditTable)} WHERE "entity_id" = $1 UNION ALL ${current}`,
    };
  }

  // ——— relations ———

  selectWhereIn(model: TableModel, column: ModelColumn): DialectStatement {
    const live = liveCondition(model);
    const where = `${quote(column.column)} = ANY($1::${POSTGRES_TYPES[column.codec.storage]}[])`;
    return {
      text: `SELECT ${selectList(model)} FROM ${quote(model.table)} WHERE ${and(where, live)}`,
    };
  }

  selectThrough(r: ManyToManyRelation): DialectStatement {
    const target = r.target;
    const key = target.column(target.primaryKey[0] as string) as ModelColumn;
    const own = r.from.column(r.from.primaryKey[0] as string) as ModelColumn;
    const from = `a.${quote(r.fromColumn)}`;
    const where = `${from} = ANY($1::${POSTGRES_TYPES[own.codec.storage]}[])`;
    return {
      text:
        `SELECT ${from} AS ${quote(OWNER_COLUMN)}, ${selectList(target, 't')} ` +
        `FROM ${quote(r.through)} a JOIN ${quote(target.table)} t ON t.${quote(key.column)} = a.${quote(r.targetColumn)} ` +
        `WHERE ${and(where, liveCondition(target, 't'))}`,
    };
  }

  relate(r: ManyToManyRelation): DialectStatement {
    return {
      text: `INSERT INTO ${quote(r.through)} (${quote(r.fromColumn)}, ${quote(r.targetColumn)}) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    };
  }

  unrelate(r: ManyToManyRelation): DialectStatement {
    return {
      text: `DELETE FROM ${quote(r.through)} WHERE ${quote(r.fromColumn)} = $1 AND ${quote(r.targetColumn)} = $2`,
    };
  }

  // ——— writes ———

  insert(model: TableModel): DialectStatement {
    const columns = model.columns;
    return {
      text: `INSERT INTO ${quote(model.table)} (${names(columns)}) VALUES (${params(columns.length)})`,
    };
  }

  upsert(model: TableModel): DialectStatement {
    const columns = model.columns;
    const keys = model.primaryKey.map((p) => quote(model.column(p)?.column ?? p)).join(', ');
    const updates = columns
      .filter((c) => c.role !== 'key' && !model.primaryKey.includes(c.property))
      .filter((c) => c.property !== 'createdAt')
      .map((c) => `${quote(c.column)} = EXCLUDED.${quote(c.column)}`);
    const conflict = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
    const returning = model.flags.timestamps ? ' RETURNING "created_at" AS "createdAt"' : '';
    return {
      text: `${this.insert(model).text} ON CONFLICT (${keys}) ${conflict}${returning}`,
    };
  }

  bulkInsert(model: TableModel): DialectStatement {
    const columns = model.columns;
    const types = columns
      .map((c) => `${quote(c.column)} ${POSTGRES_TYPES[c.codec.storage]}`)
      .join(', ');
    return {
      text: `INSERT INTO ${quote(model.table)} (${names(columns)}) SELECT ${names(columns)} FROM jsonb_to_recordset($1::jsonb) AS r(${types})`,
    };
  }

  versionedUpdate(model: TableModel): DialectStatement {
    const table = quote(model.table);
    const columns = names(model.columns);
    const stampCount = 5;
    const data = new Map(
      versionedDataColumns(model).map((c, i) => [c.property, `$${i + stampCount + 1}`]),
    );
    const stamp = (property: string): string | undefined => {
      const index = VERSION_STAMP[property];
      return index === undefined ? undefined : `$${index + 1}`;
    };
    const updates = model.columns
      .filter((c) => c.role !== 'key' && c.property !== 'createdAt')
      .map((c) => `${quote(c.column)} = ${stamp(c.property) ?? data.get(c.property)}`)
      .join(', ');
    const audit = model.auditTable;
    const moved =
      audit === undefined
        ? ''
        : `, moved AS (INSERT INTO ${quote(audit)} (${columns}) SELECT ${columns} FROM cur WHERE "version" = $2)`;
    const returning = model.flags.timestamps ? 'cur."created_at" AS created' : '1 AS created';
    // The row is locked and read (cur) before it is changed, and copied from what was read:
    // the sub-statements of one WITH never see each other's changes.
    return {
      text:
        `WITH cur AS (SELECT * FROM ${table} WHERE "entity_id" = $1 FOR UPDATE)${moved} ` +
        `UPDATE ${table} t SET ${updates} FROM cur WHERE t."entity_id" = cur."entity_id" AND cur."version" = $2 RETURNING ${returning}`,
    };
  }

  versionProbe(model: TableModel): DialectStatement {
    const audit = model.auditTable;
    const gone =
      audit === undefined
        ? 'false'
        : `EXISTS (SELECT 1 FROM ${quote(audit)} WHERE "entity_id" = $1)`;
    return {
      text: `SELECT (SELECT "version"::text FROM ${quote(model.table)} WHERE "entity_id" = $1) AS stored, ${gone} AS gone`,
    };
  }

  softDelete(model: TableModel): DialectStatement {
    // Only the mark: the other columns stay as stored, whatever the entity given holds.
    const at = `$${model.primaryKey.length + 1}`;
    const stamp = model.flags.timestamps ? `, "updated_at" = ${at}` : '';
    return {
      text: `UPDATE ${quote(model.table)} SET "deleted_at" = ${at}${stamp} WHERE ${keyCondition(model)} AND "deleted_at" IS NULL RETURNING ${selectList(model)}`,
    };
  }

  hardDelete(model: TableModel): DialectStatement {
    const table = quote(model.table);
    const where = keyCondition(model);
    const audit = model.auditTable;
    if (audit === undefined) return { text: `DELETE FROM ${table} WHERE ${where}` };
    const columns = names(model.columns);
    return {
      text: `WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING *) INSERT INTO ${quote(audit)} (${columns}) SELECT ${columns} FROM gone`,
    };
  }

  // ——— schema ———

  tableDefinitions(model: TableModel): TableDefinition[] {
    return tableDefinitions(model);
  }

  constraintDefinitions(model: TableModel): (IndexDefinition | CheckDefinition)[] {
    return constraintDefinitions(model);
  }

  associationDefinitions(relation: ManyToManyRelation): [TableDefinition, IndexDefinition] {
    return associationDefinitions(relation);
  }

  columnIndexDefinition(table: string, column: string): IndexDefinition {
    return columnIndexDefinition(table, column);
  }

  foreignKeyDefinition(relation: BelongsToRelation): ForeignKeyDefinition {
    return foreignKeyDefinition(relation);
  }

  createStatement(object: SchemaObject): string {
    return createStatement(object);
  }
}

/** The PostgreSQL dialect (also PGlite's): the default of repositories and schema registries. */
export const postgresDialect: SqlDialect = new PostgresDialect();
