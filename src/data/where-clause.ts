import { toColumnValue } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';
import { invalidInput, quote } from './sql-names.js';

/** Conditions on one field (SPEC REPO-6); several in one object must all hold. */
export interface Condition<V> {
  readonly eq?: V;
  readonly ne?: V;
  readonly lt?: V;
  readonly lte?: V;
  readonly gt?: V;
  readonly gte?: V;
  readonly in?: readonly V[];
  readonly notIn?: readonly V[];
  /** Contains the text, case-sensitive (`%` and `_` in it are literal). */
  readonly like?: string;
  /** Contains the text, any case. */
  readonly ilike?: string;
  /** Starts with the text, case-sensitive. */
  readonly startsWith?: string;
  /** Ends with the text, case-sensitive. */
  readonly endsWith?: string;
  /** Contains the text, any case (ArchiPy's CONTAINS: the same as `ilike`). */
  readonly contains?: string;
  readonly isNull?: true;
  readonly isNotNull?: true;
}

/** Conditions by field: a value means equal (null: IS NULL), an object names operators. */
export type Where<E> = { readonly [K in keyof E]?: E[K] | null | Condition<E[K]> };

/** One sort key: `'lastName'`, `'-createdAt'` (descending), or an object. */
export type SortKey<E> =
  | (keyof E & string)
  | `-${keyof E & string}`
  | { readonly field: keyof E & string; readonly order?: 'asc' | 'desc' };

const COMPARISONS = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;
const PATTERNS = {
  like: ['LIKE', '%', '%'],
  ilike: ['ILIKE', '%', '%'],
  startsWith: ['LIKE', '', '%'],
  endsWith: ['LIKE', '%', ''],
  contains: ['ILIKE', '%', '%'],
} as const;
const OPERATORS = new Set([
  ...Object.keys(COMPARISONS),
  ...Object.keys(PATTERNS),
  'in',
  'notIn',
  'isNull',
  'isNotNull',
]);

/** `%`, `_` and `\` taken literally in a LIKE pattern (with `ESCAPE '\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The column a field name from the caller refers to: a known property, or ValidationError. */
export function columnOf(model: TableModel, field: unknown, path: string): ModelColumn {
  const column = typeof field === 'string' ? model.column(field) : undefined;
  if (column === undefined || column.role === 'extra' || column.role === 'computed') {
    return invalidInput(path, `${JSON.stringify(field)} is not a field of ${model.name}`);
  }
  return column;
}

/**
 * Compiles conditions to SQL text with `$n` placeholders, appending values to `values`.
 * Field and operator names are checked against the model; values are always parameters.
 */
export function compileWhere(model: TableModel, where: unknown, values: unknown[]): string[] {
  if (where === undefined || where === null) return [];
  if (!isPlainObject(where)) return invalidInput('where', 'must be an object of conditions');
  const parts: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  for (const [field, condition] of Object.entries(where)) {
    const path = `where.${field}`;
    const column = columnOf(model, field, path);
    const name = quote(column.column);
    if (condition === undefined) continue;
    if (condition === null) {
      parts.push(`${name} IS NULL`);
      continue;
    }
    if (!isPlainObject(condition)) {
      if (Array.isArray(condition) && column.codec.sqlType !== 'jsonb') {
        invalidInput(path, 'a list of values needs the `in` operator');
      }
      parts.push(`${name} = ${param(toColumnValue(column.codec, condition))}`);
      continue;
    }
    // An object always names operators, also on a JSON field (JSON equality is `{ eq: … }`).
    for (const [op, operand] of Object.entries(condition)) {
      const at = `${path}.${op}`;
      if (!OPERATORS.has(op))
        invalidInput(at, `unknown operator (use one of ${[...OPERATORS].join(', ')})`);
      if (operand === undefined) continue;
      if (op in COMPARISONS) {
        if (operand === null) invalidInput(at, 'use isNull / isNotNull for null');
        const sign = COMPARISONS[op as keyof typeof COMPARISONS];
        parts.push(`${name} ${sign} ${param(toColumnValue(column.codec, operand))}`);
      } else if (op in PATTERNS) {
        if (typeof operand !== 'string') invalidInput(at, 'must be a string');
        const [operator, before, after] = PATTERNS[op as keyof typeof PATTERNS];
        const pattern = `${before}${escapeLike(operand)}${after}`;
        const text = column.codec.sqlType === 'text' ? name : `${name}::text`;
        parts.push(`${text} ${operator} ${param(pattern)} ESCAPE '\\'`);
      } else if (op === 'in' || op === 'notIn') {
        if (!Array.isArray(operand)) invalidInput(at, 'must be an array');
        // NULL in a list matches nothing (and makes NOT IN match nothing at all).
        if (operand.some((v) => v === null || v === undefined)) {
          invalidInput(at, 'cannot hold null (use isNull / isNotNull)');
        }
        // One parameter, an array: the same statement text whatever the list's length.
        const list = param(operand.map((v) => toColumnValue(column.codec, v)));
        parts.push(
          op === 'in'
            ? `${name} = ANY(${list}::${column.codec.sqlType}[])`
            : `${name} <> ALL(${list}::${column.codec.sqlType}[])`,
        );
      } else {
        if (operand !== true) invalidInput(at, 'must be true');
        parts.push(`${name} ${op === 'isNull' ? 'IS NULL' : 'IS NOT NULL'}`);
      }
    }
  }
  return parts;
}

/** Compiles sort keys to ORDER BY items (`"col"`, `"col" DESC`); names checked against the model. */
export function compileSort(model: TableModel, sort: unknown): string[] {
  if (sort === undefined) return [];
  const keys = Array.isArray(sort) ? sort : [sort];
  return keys.map((key, i) => {
    const path = `sort.${i}`;
    let field: unknown = key;
    let descending = false;
    if (typeof key === 'string' && key.startsWith('-')) {
      field = key.slice(1);
      descending = true;
    } else if (isPlainObject(key)) {
      field = key.field;
      if (key.order !== undefined && key.order !== 'asc' && key.order !== 'desc') {
        invalidInput(`${path}.order`, 'must be asc or desc');
      }
      descending = key.order === 'desc';
    }
    const column = columnOf(model, field, path);
    return `${quote(column.column)}${descending ? ' DESC' : ''}`;
  });
}
