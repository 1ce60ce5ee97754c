import type { ModelColumn, TableModel } from '../model.js';
import type { Predicate, SortItem } from './sql-dialect.js';

/**
 * A quoted PostgreSQL identifier. Names reach it only after they were checked (model and
 * table names at definition, fields against the model); doubling `"` keeps it safe regardless.
 */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (with `ESCAPE '\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The SQL type of each storage type on PostgreSQL. */
export const POSTGRES_TYPES = {
  text: 'text',
  uuid: 'uuid',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
} as const;

const typeOf = (c: ModelColumn): string => POSTGRES_TYPES[c.codec.storage];

/** `"active"`, `"deleted_at" IS NULL`, or '' when nothing is ever deleted softly. */
export function liveCondition(model: TableModel, alias?: string): string {
  const prefix = alias === undefined ? '' : `${quote(alias)}.`;
  if (model.flags.versioned) return `${prefix}"active"`;
  return model.flags.softDelete ? `${prefix}"deleted_at" IS NULL` : '';
}

/** `"a" = $1 AND "b" = $2`: the key columns against the first arguments. */
export function keyCondition(model: TableModel): string {
  return model.primaryKey
    .map((p, i) => `${quote(model.column(p)?.column ?? p)} = $${i + 1}`)
    .join(' AND ');
}

/** One condition as SQL; `param` appends a value and names its placeholder. */
function predicateText(p: Predicate, param: (value: unknown) => string): string {
  if (p.op === 'keyIn') {
    const columns = p.columns.map((c) => quote(c.column)).join(', ');
    const arrays = p.columns.map((c, k) => `${param(p.lists[k])}::${typeOf(c)}[]`).join(', ');
    return `(${columns}) IN (SELECT * FROM unnest(${arrays}))`;
  }
  const name = quote(p.column.column);
  if (p.op === 'compare') return `${name} ${p.sign} ${param(p.value)}`;
  if (p.op === 'like') {
    const before = p.match === 'startsWith' ? '' : '%';
    const after = p.match === 'endsWith' ? '' : '%';
    const text = p.column.codec.storage === 'text' ? name : `${name}::text`;
    const pattern = param(`${before}${escapeLike(p.text)}${after}`);
    return `${text} ${p.caseless ? 'ILIKE' : 'LIKE'} ${pattern} ESCAPE '\\'`;
  }
  if (p.op === 'in') return `${name} = ANY(${param(p.values)}::${typeOf(p.column)}[])`;
  if (p.op === 'notIn') return `${name} <> ALL(${param(p.values)}::${typeOf(p.column)}[])`;
  return `${name} ${p.op === 'isNull' ? 'IS NULL' : 'IS NOT NULL'}`;
}

/**
 * The conditions as SQL (to be joined by AND), each value a parameter appended to `args`: a
 * list is one array parameter (`= ANY($n::uuid[])`), so the text does not depend on its length.
 */
export function whereText(predicates: readonly Predicate[], args: unknown[]): string[] {
  const param = (value: unknown) => {
    args.push(value);
    return `$${args.length}`;
  };
  return predicates.map((p) => predicateText(p, param));
}

/** `"last_name", "entity_id" DESC`, or ''. */
export function orderText(order: readonly SortItem[]): string {
  return order.map((s) => `${quote(s.column.column)}${s.descending ? ' DESC' : ''}`).join(', ');
}
