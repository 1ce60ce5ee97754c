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
  inList,
  jsonRows,
  keyCondition,
  liveCondition,
  MYSQL_TYPES,
  orderText,
  quote,
  whereText,
} from './mysql-conditions.js';
import {
  associationDefinitions,
  columnIndexDefinition,
  constraintDefinitions,
  createStatement,
  presenceOf,
  tableDefinitions,
} from './mysql-schema.js';
import {
  type DialectStatement,
  OWNER_COLUMN,
  type ReadQuery,
  readColumns,
  type SqlDialect,
  VERSION_STAMP,
  versionedDataColumns,
} from './sql-dialect.js';

/**
 * A column as read: JSON as text whatever the engine and driver (MySQL's JSON type comes
 * back parsed by some drivers, MariaDB's LONGTEXT by none), so that one decoder parses it.
 */
function readExpression(c: ModelColumn, prefix: string): string {
  const name = `${prefix}${quote(c.column)}`;
  return c.codec.storage === 'json' ? `CAST(${name} AS CHAR)` : name;
}

/** `` `first_name` AS `firstName`, … ``, each column qualified by `alias` when given. */
function selectList(model: TableModel, alias?: string): string {
  const prefix = alias === undefined ? '' : `${quote(alias)}.`;
  return readColumns(model)
    .map((c) => {
      const read = readExpression(c, prefix);
      return read === quote(c.column) && c.column === c.property
        ? read
        : `${read} AS ${quote(c.property)}`;
    })
    .join(', ');
}

const and = (a: string, b: string): string => (a === '' ? b : b === '' ? a : `${a} AND ${b}`);
const names = (columns: readonly ModelColumn[]): string =>
  columns.map((c) => quote(c.column)).join(', ');
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

/** MySQL takes no OFFSET without a LIMIT: this one means none. */
const NO_LIMIT = '18446744073709551615';

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
  else if (query.offset !== undefined) text += ` LIMIT ${NO_LIMIT}`;
  if (query.offset !== undefined) text += ` OFFSET ${query.offset}`;
  return text;
}

/**
 * Where MySQL's and MariaDB's messages name the violated key or constraint (duplicate entry,
 * foreign key, check), anchored on the words around the name, away from the quoted values.
 */
const CONSTRAINT_NAMES =
  /for key '([^']+)'$|CONSTRAINT `([^`]+)` (?:FOREIGN KEY|failed)|Check constraint '([^']+)' is violated/;

const parseJson = (value: unknown): unknown =>
  typeof value === 'string' ? JSON.parse(value) : value;
const toBoolean = (value: unknown): unknown => (typeof value === 'number' ? value !== 0 : value);

/**
 * The SQL of `libretto/data` for MySQL 8 and MariaDB 10.11: `?` placeholders (an argument
 * used twice is passed twice: {@link DialectStatement.slots}), lists and bulk rows as one
 * JSON parameter read by JSON_TABLE, and, where PostgreSQL writes one statement with
 * RETURNING or a writing WITH, several steps in one transaction
 * ({@link DialectStatement.followedBy}): a versioned save locks, copies to the audit table,
 * updates and reads back; an upsert inserts or updates, then reads `createdAt`.
 */
export class MysqlDialect implements SqlDialect {
  readonly name = 'mysql';

  columnType(storage: StorageType): string {
    return MYSQL_TYPES[storage];
  }

  listArgument(values: readonly unknown[]): unknown {
    return JSON.stringify(values);
  }

  columnDecoder(storage: StorageType): ((value: unknown) => unknown) | undefined {
    if (storage === 'json') return parseJson;
    return storage === 'boolean' ? toBoolean : undefined;
  }

  violatedConstraint(driverError: unknown): string | undefined {
    const e = driverError as { errno?: unknown; sqlMessage?: unknown; message?: unknown } | null;
    const message = typeof e?.sqlMessage === 'string' ? e.sqlMessage : String(e?.message ?? '');
    const found = CONSTRAINT_NAMES.exec(message);
    // MySQL 8 names a key `table.key`; names themselves hold no dot.
    return found
      ?.slice(1)
      .find((n) => n !== undefined)
      ?.split('.')
      .pop();
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
    return `SELECT COUNT(*) AS n${tail(model, query, args, false)}`;
  }

  // No selectPage: a page and its total are two statements here (see SqlDialect.selectPage).

  history(model: TableModel): DialectStatement {
    const select = selectList(model);
    const current = `SELECT ${select} FROM ${quote(model.table)} WHERE \`entity_id\` = ?`;
    if (model.auditTable === undefined) return { text: current };
    return {
      text: `SELECT ${select} FROM ${quote(model.auditTable)} WHERE \`entity_id\` = ? UNION ALL ${current}`,
      slots: [0, 0],
    };
  }

  // ——— relations ———

  selectWhereIn(model: TableModel, column: ModelColumn): DialectStatement {
    const where = `${quote(column.column)} ${inList(column)}`;
    return {
      text: `SELECT ${selectList(model)} FROM ${quote(model.table)} WHERE ${and(where, liveCondition(model))}`,
    };
  }

  selectThrough(r: ManyToManyRelation): DialectStatement {
    const target = r.target;
    const key = target.column(target.primaryKey[0] as string) as ModelColumn;
    const own = r.from.column(r.from.primaryKey[0] as string) as ModelColumn;
    const from = `a.${quote(r.fromColumn)}`;
    return {
      text:
        `SELECT ${from} AS ${quote(OWNER_COLUMN)}, ${selectList(target, 't')} ` +
        `FROM ${quote(r.through)} a JOIN ${quote(target.table)} t ON t.${quote(key.column)} = a.${quote(r.targetColumn)} ` +
        `WHERE ${and(`${from} ${inList(own)}`, liveCondition(target, 't'))}`,
    };
  }

  relate(r: ManyToManyRelation): DialectStatement {
    // Not INSERT IGNORE: that would also swallow a foreign-key violation.
    const first = quote(r.fromColumn);
    return {
      text: `INSERT INTO ${quote(r.through)} (${first}, ${quote(r.targetColumn)}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${first} = ${first}`,
    };
  }

  unrelate(r: ManyToManyRelation): DialectStatement {
    return {
      text: `DELETE FROM ${quote(r.through)} WHERE ${quote(r.fromColumn)} = ? AND ${quote(r.targetColumn)} = ?`,
    };
  }

  // ——— writes ———

  insert(model: TableModel): DialectStatement {
    const columns = model.columns;
    return {
      text: `INSERT INTO ${quote(model.table)} (${names(columns)}) VALUES (${marks(columns.length)})`,
    };
  }

  /**
   * INSERT … ON DUPLICATE KEY UPDATE, which fires on a clash with any unique index, not the
   * key only: with unique constraints, the update leaves a row with another key as it is, and
   * a second insert (of a row whose key is still absent) then fails on that index as
   * PostgreSQL's would. Then, with timestamps, the row's `createdAt`.
   */
  upsert(model: TableModel): DialectStatement {
    const columns = model.columns;
    const table = quote(model.table);
    const keyColumns = model.primaryKey.map((p) => model.column(p) as ModelColumn);
    const keyArgs = keyColumns.map((k) => columns.indexOf(k));
    const keyWhere = keyColumns.map((k) => `${quote(k.column)} = ?`).join(' AND ');
    const guarded = model.constraints.unique.length > 0;
    const sameKey = keyColumns
      .map((k) => `${quote(k.column)} <=> VALUES(${quote(k.column)})`)
      .join(' AND ');
    const updates = columns
      .filter((c) => !keyColumns.includes(c) && c.property !== 'createdAt')
      .map((c) => {
        const name = quote(c.column);
        return guarded
          ? `${name} = IF(${sameKey}, VALUES(${name}), ${name})`
          : `${name} = VALUES(${name})`;
      });
    const firstKey = quote((keyColumns[0] as ModelColumn).column);
    const onDuplicate = updates.length === 0 ? `${firstKey} = ${firstKey}` : updates.join(', ');
    const steps: DialectStatement[] = [];
    if (guarded) {
      steps.push({
        text: `INSERT INTO ${table} (${names(columns)}) SELECT ${marks(columns.length)} FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${keyWhere})`,
        slots: [...range(columns.length), ...keyArgs],
      });
    }
    if (model.flags.timestamps) {
      steps.push({
        text: `SELECT \`created_at\` AS \`createdAt\` FROM ${table} WHERE ${keyWhere}`,
        slots: keyArgs,
      });
    }
    const text = `${this.insert(model).text} ON DUPLICATE KEY UPDATE ${onDuplicate}`;
    return steps.length === 0 ? { text } : { text, followedBy: steps };
  }

  bulkInsert(model: TableModel): DialectStatement {
    const columns = model.columns;
    const rows = jsonRows(
      columns.map((c) => ({
        name: c.column,
        storage: c.codec.storage,
        path: `$."${c.column}"`,
      })),
      'r',
    );
    // JSON_TABLE reads a JSON null in a JSON column as the document `null`: SQL NULL here.
    const values = columns
      .map((c) => {
        const name = `r.${quote(c.column)}`;
        return c.codec.storage === 'json' ? `NULLIF(${name}, 'null')` : name;
      })
      .join(', ');
    return {
      text: `INSERT INTO ${quote(model.table)} (${names(columns)}) SELECT ${values} FROM ${rows}`,
    };
  }

  versionedUpdate(model: TableModel): DialectStatement {
    const table = quote(model.table);
    const stampCount = 5;
    const data = new Map(versionedDataColumns(model).map((c, i) => [c.property, i + stampCount]));
    const assigned = model.columns.filter((c) => c.role !== 'key' && c.property !== 'createdAt');
    const updates = assigned.map((c) => `${quote(c.column)} = ?`).join(', ');
    const updateSlots = assigned.map(
      (c) => VERSION_STAMP[c.property] ?? (data.get(c.property) as number),
    );
    const read = '`entity_id` = ? AND `version` = ?';
    const update: DialectStatement = {
      text: `UPDATE ${table} SET ${updates} WHERE ${read}`,
      slots: [...updateSlots, 0, 1],
    };
    // Written when the row now holds the next version, a fresh UUID no one else writes: read
    // back for its `created_at`, else the update's count says it (the version always changes).
    const readBack: DialectStatement = model.flags.timestamps
      ? { text: `SELECT \`created_at\` AS created FROM ${table} WHERE ${read}`, slots: [0, 2] }
      : { ...update, rowWhenWritten: true };
    const last = model.flags.timestamps ? [update, readBack] : [readBack];
    const audit = model.auditTable;
    if (audit === undefined) {
      return model.flags.timestamps ? { ...update, followedBy: [readBack] } : readBack;
    }
    // The copy locks the row (FOR UPDATE: a shared lock would deadlock two saves that both
    // go on to update it) and reads the latest version, as the update after it does.
    const columns = names(model.columns);
    return {
      text: `INSERT INTO ${quote(audit)} (${columns}) SELECT ${columns} FROM ${table} WHERE ${read} FOR UPDATE`,
      slots: [0, 1],
      followedBy: last,
    };
  }

  versionProbe(model: TableModel): DialectStatement {
    const audit = model.auditTable;
    const stored = `(SELECT \`version\` FROM ${quote(model.table)} WHERE \`entity_id\` = ?)`;
    if (audit === undefined) return { text: `SELECT ${stored} AS stored, FALSE AS gone` };
    return {
      text: `SELECT ${stored} AS stored, EXISTS (SELECT 1 FROM ${quote(audit)} WHERE \`entity_id\` = ?) AS gone`,
      slots: [0, 0],
    };
  }

  softDelete(model: TableModel): DialectStatement {
    // Only the mark: the other columns stay as stored, whatever the entity given holds.
    const keys = model.primaryKey.length;
    const stamp = model.flags.timestamps ? ', `updated_at` = ?' : '';
    const where = keyCondition(model);
    return {
      text: `UPDATE ${quote(model.table)} SET \`deleted_at\` = ?${stamp} WHERE ${where} AND \`deleted_at\` IS NULL`,
      slots: [keys, ...(model.flags.timestamps ? [keys] : []), ...range(keys)],
      followedBy: [
        {
          // The row this delete marked: its mark is this delete's time.
          text: `SELECT ${selectList(model)} FROM ${quote(model.table)} WHERE ${where} AND \`deleted_at\` = ?`,
          slots: [...range(keys), keys],
        },
      ],
    };
  }

  hardDelete(model: TableModel): DialectStatement {
    const table = quote(model.table);
    const where = keyCondition(model);
    const remove: DialectStatement = { text: `DELETE FROM ${table} WHERE ${where}` };
    const audit = model.auditTable;
    if (audit === undefined) return remove;
    const columns = names(model.columns);
    return {
      text: `INSERT INTO ${quote(audit)} (${columns}) SELECT ${columns} FROM ${table} WHERE ${where} FOR UPDATE`,
      followedBy: [remove],
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

  presence(object: SchemaObject): DialectStatement | undefined {
    return presenceOf(object);
  }
}

/**
 * The MySQL 8 / MariaDB 10.11 dialect: pass it as `dialect` to repositories and schema
 * registries over a MySQL database (a database that says it is one gets it by default).
 *
 * @example
 * const people = repository(Person, db, { dialect: mysqlDialect });
 */
export const mysqlDialect: SqlDialect = new MysqlDialect();
