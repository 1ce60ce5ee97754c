import type { StorageType } from '../field-codec.js';
import type { ModelColumn, TableModel } from '../model.js';
import type { Predicate, SortItem } from './sql-dialect.js';

/**
 * A quoted MySQL identifier. Names reach it only after they were checked (model and table
 * names at definition, fields against the model); doubling `` ` `` keeps it safe regardless.
 */
export function quote(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * The escape character of LIKE patterns: `!` rather than `\`, whose meaning in a string
 * literal changes with the server's `NO_BACKSLASH_ESCAPES` mode.
 */
export const LIKE_ESCAPE = '!';

/** `%`, `_` and `!` taken literally in a LIKE pattern (with `ESCAPE '!'`). */
export function escapeMysqlLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * The SQL type of each storage type on MySQL 8 and MariaDB 10.11. Ids are UUIDs as text
 * (`CHAR(36)`, ASCII, compared regardless of case as PostgreSQL's `uuid` is); `numeric` holds
 * bigint fields, whole numbers only; `JSON` is MariaDB's alias of LONGTEXT with a validity check.
 */
export const MYSQL_TYPES: Readonly<Record<StorageType, string>> = {
  text: 'TEXT',
  uuid: 'CHAR(36) CHARACTER SET ascii COLLATE ascii_general_ci',
  integer: 'INT',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  numeric: 'DECIMAL(65,0)',
  boolean: 'BOOLEAN',
  timestamp: 'DATETIME(6)',
  json: 'JSON',
};

/** The type of a text column that is indexed: MySQL cannot index TEXT without a prefix length. */
export const INDEXED_TEXT = 'VARCHAR(255)';

/** The type of a JSON_TABLE column reading values of a storage type out of a JSON document. */
const LIST_TYPES: Readonly<Record<StorageType, string>> = {
  ...MYSQL_TYPES,
  text: 'TEXT CHARACTER SET utf8mb4',
  uuid: 'CHAR(36) CHARACTER SET ascii',
};

/**
 * `JSON_TABLE(?, '$[*]' COLUMNS (…)) AS j`: the rows of a JSON array passed as one parameter,
 * each column read at its path (`$` for an array of values, `$[0]` for tuples, `$."name"` for
 * objects). One parameter whatever the length, so the text of a statement does not change
 * with it (and stays one prepared statement).
 */
export function jsonRows(
  columns: readonly { name: string; storage: StorageType; path: string }[],
  alias: string,
): string {
  const list = columns
    .map((c) => `${quote(c.name)} ${LIST_TYPES[c.storage]} PATH '${c.path}'`)
    .join(', ');
  return `JSON_TABLE(?, '$[*]' COLUMNS (${list})) AS ${alias}`;
}

/** `IN (SELECT v FROM JSON_TABLE(?…))`: a column against a list passed as JSON text. */
export function inList(column: ModelColumn): string {
  return `IN (SELECT \`v\` FROM ${jsonRows([{ name: 'v', storage: column.codec.storage, path: '$' }], 'j')})`;
}

/** `` `active` ``, `` `deleted_at` IS NULL ``, or '' when nothing is ever deleted softly. */
export function liveCondition(model: TableModel, alias?: string): string {
  const prefix = alias === undefined ? '' : `${quote(alias)}.`;
  if (model.flags.versioned) return `${prefix}\`active\``;
  return model.flags.softDelete ? `${prefix}\`deleted_at\` IS NULL` : '';
}

/** `` `a` = ? AND `b` = ? ``: the key columns against the first arguments. */
export function keyCondition(model: TableModel): string {
  return model.primaryKey.map((p) => `${quote(model.column(p)?.column ?? p)} = ?`).join(' AND ');
}

/** One condition as SQL; `param` appends a value and gives its placeholder. */
function predicateText(p: Predicate, param: (value: unknown) => string): string {
  if (p.op === 'keyIn') {
    const columns = p.columns.map((c) => quote(c.column)).join(', ');
    const first = p.lists[0] ?? [];
    const tuples = first.map((_, row) => p.lists.map((list) => list[row]));
    param(JSON.stringify(tuples));
    const rows = jsonRows(
      p.columns.map((c, k) => ({ name: `k${k}`, storage: c.codec.storage, path: `$[${k}]` })),
      'j',
    );
    const picked = p.columns.map((_, k) => `\`k${k}\``).join(', ');
    return `(${columns}) IN (SELECT ${picked} FROM ${rows})`;
  }
  const name = quote(p.column.column);
  if (p.op === 'compare') return `${name} ${p.sign} ${param(p.value)}`;
  if (p.op === 'like') {
    const before = p.match === 'startsWith' ? '' : '%';
    const after = p.match === 'endsWith' ? '' : '%';
    // Text columns are utf8mb4_bin (LIKE tells case apart, as on PostgreSQL); others as text.
    const text = p.column.codec.storage === 'text' ? name : `CAST(${name} AS CHAR)`;
    const pattern = param(`${before}${escapeMysqlLike(p.text)}${after}`);
    return p.caseless
      ? `LOWER(${text}) LIKE LOWER(${pattern}) ESCAPE '${LIKE_ESCAPE}'`
      : `${text} LIKE ${pattern} ESCAPE '${LIKE_ESCAPE}'`;
  }
  if (p.op === 'in' || p.op === 'notIn') {
    param(JSON.stringify(p.values));
    return `${name} ${p.op === 'in' ? '' : 'NOT '}${inList(p.column)}`;
  }
  return `${name} ${p.op === 'isNull' ? 'IS NULL' : 'IS NOT NULL'}`;
}

/**
 * The conditions as SQL (to be joined by AND), each value a `?` parameter appended to `args`
 * in the order of the placeholders; a list is one parameter, JSON text read by JSON_TABLE.
 */
export function whereText(predicates: readonly Predicate[], args: unknown[]): string[] {
  const param = (value: unknown) => {
    args.push(value);
    return '?';
  };
  return predicates.map((p) => predicateText(p, param));
}

/**
 * `` `last_name`, `entity_id` DESC ``, or ''. A nullable column sorts its NULLs as
 * PostgreSQL does (last ascending, first descending); MySQL puts them the other way.
 */
export function orderText(order: readonly SortItem[]): string {
  return order
    .map((s) => {
      const name = quote(s.column.column);
      const direction = s.descending ? ' DESC' : '';
      const nulls = s.column.codec.nullable ? `${name} IS NULL${direction}, ` : '';
      return `${nulls}${name}${direction}`;
    })
    .join(', ');
}
