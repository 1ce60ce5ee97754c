import { invalidValue, misuse } from './data-errors.js';
import type { Comparison, Predicate, SortItem } from './dialect/sql-dialect.js';
import { toColumnValue } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';

/** Conditions on one field; several in one object must all hold. */
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

const COMPARISONS: Readonly<Record<string, Comparison>> = {
  eq: '=',
  ne: '<>',
  lt: '<',
  lte: '<=',
  gt: '>',
  gte: '>=',
};
const PATTERNS = {
  like: ['contains', false],
  ilike: ['contains', true],
  startsWith: ['startsWith', false],
  endsWith: ['endsWith', false],
  contains: ['contains', true],
} as const;
const OPERATORS = new Set([
  ...Object.keys(COMPARISONS),
  ...Object.keys(PATTERNS),
  'in',
  'notIn',
  'isNull',
  'isNotNull',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The column a field name from server code refers to. A name the model lacks is a
 * programming mistake (UsageError `UNKNOWN_FIELD`), never answered to a client as a 422.
 */
export function columnOf(
  model: TableModel,
  field: unknown,
  path: string,
  code: 'UNKNOWN_FIELD' | 'UNKNOWN_SORT_KEY' = 'UNKNOWN_FIELD',
): ModelColumn {
  const column = typeof field === 'string' ? model.column(field) : undefined;
  if (column === undefined || column.role === 'extra' || column.role === 'computed') {
    return misuse(code, path, `${JSON.stringify(field)} is not a field of ${model.name}`);
  }
  return column;
}

/**
 * Checks conditions and turns them into predicates for the dialect. Field and operator names
 * are server code's (UsageError when wrong); values may be a client's (ValidationError
 * `INVALID_CONDITION` when of the wrong shape) and always become parameters.
 */
export function compileWhere(model: TableModel, where: unknown): Predicate[] {
  if (where === undefined || where === null) return [];
  if (!isPlainObject(where))
    return misuse('INVALID_QUERY', 'where', 'must be an object of conditions');
  const out: Predicate[] = [];
  for (const [field, condition] of Object.entries(where)) {
    const path = `where.${field}`;
    const column = columnOf(model, field, path);
    if (condition === undefined) continue;
    if (condition === null) {
      out.push({ op: 'isNull', column });
      continue;
    }
    if (!isPlainObject(condition)) {
      if (Array.isArray(condition) && column.codec.storage !== 'json') {
        invalidValue('INVALID_CONDITION', path, 'a list of values needs the `in` operator');
      }
      out.push({ op: 'compare', column, sign: '=', value: toColumnValue(column.codec, condition) });
      continue;
    }
    // An object always names operators, also on a JSON field (JSON equality is `{ eq: … }`).
    for (const [op, operand] of Object.entries(condition)) {
      const at = `${path}.${op}`;
      if (!OPERATORS.has(op)) {
        misuse(
          'UNKNOWN_OPERATOR',
          at,
          `unknown operator (use one of ${[...OPERATORS].join(', ')})`,
        );
      }
      if (operand === undefined) continue;
      const sign = COMPARISONS[op];
      if (sign !== undefined) {
        if (operand === null)
          invalidValue('INVALID_CONDITION', at, 'use isNull / isNotNull for null');
        out.push({ op: 'compare', column, sign, value: toColumnValue(column.codec, operand) });
      } else if (op in PATTERNS) {
        if (typeof operand !== 'string') invalidValue('INVALID_CONDITION', at, 'must be a string');
        const [match, caseless] = PATTERNS[op as keyof typeof PATTERNS];
        out.push({ op: 'like', column, match, caseless, text: operand });
      } else if (op === 'in' || op === 'notIn') {
        if (!Array.isArray(operand)) invalidValue('INVALID_CONDITION', at, 'must be an array');
        // NULL in a list matches nothing (and makes NOT IN match nothing at all).
        if (operand.some((v) => v === null || v === undefined)) {
          invalidValue('INVALID_CONDITION', at, 'cannot hold null (use isNull / isNotNull)');
        }
        out.push({ op, column, values: operand.map((v) => toColumnValue(column.codec, v)) });
      } else {
        if (operand !== true) invalidValue('INVALID_CONDITION', at, 'must be true');
        out.push({ op: op as 'isNull' | 'isNotNull', column });
      }
    }
  }
  return out;
}

/** Checks sort keys against the model (UsageError `UNKNOWN_SORT_KEY` when wrong). */
export function compileSort(model: TableModel, sort: unknown): SortItem[] {
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
        misuse('UNKNOWN_SORT_KEY', `${path}.order`, 'must be asc or desc');
      }
      descending = key.order === 'desc';
    }
    return { column: columnOf(model, field, path, 'UNKNOWN_SORT_KEY'), descending };
  });
}
