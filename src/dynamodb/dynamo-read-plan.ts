import type { Predicate } from '../data/dialect/sql-dialect.js';
import type { ModelColumn } from '../data/model.js';
import { compileSort, compileWhere } from '../data/where-clause.js';
import { UsageError } from '../errors/usage-error.js';
import { conditionExpression, conditionValue, ExpressionParts } from './dynamo-expressions.js';
import type { Item } from './dynamo-items.js';
import type { KeyAttribute, ModelTables } from './dynamo-tables.js';

/**
 * How a read with conditions runs: a Query (equality on the hash key of the table or of an
 * index, maybe a condition on its range key) or a Scan; the other conditions as a filter.
 */
export interface ReadPlan {
  /** `none`: the conditions match nothing (`in: []`); no request. */
  readonly operation: 'query' | 'scan' | 'none';
  /** Everything of the Query/Scan input but `ExclusiveStartKey`, `Limit` and `Select`. */
  readonly input: Readonly<Record<string, unknown>>;
  /** The attributes of an item's position (table key, index key): what a cursor holds. */
  readonly positionKeys: readonly string[];
  /** Whether a filter drops some items read (a page then reads on until it is full). */
  readonly filtered: boolean;
  /** The index a Query uses, or undefined for the table itself or a Scan. */
  readonly index: string | undefined;
  /**
   * Conditions DynamoDB's filters cannot state, checked on the items it returns: ends-with
   * text, equality of JSON values (maps compare by content, not identity). They cost what a
   * filter costs — the items are read either way — plus their transfer.
   */
  readonly post: readonly ((item: Item) => boolean)[];
}

/** The UsageError of a read DynamoDB cannot answer without reading what it would skip or sort. */
export function unsupportedQuery(path: string, message: string): never {
  throw new UsageError(`${path}: ${message}`, {
    code: 'UNSUPPORTED_QUERY',
    details: [{ path, message }],
  });
}

const REFUSED_PATTERNS: Readonly<Record<string, string>> = {
  ilike:
    'DynamoDB compares text as it is stored: no caseless match (store a lower-cased copy and use like)',
  contains:
    'DynamoDB compares text as it is stored: no caseless match (store a lower-cased copy and use like)',
};

/** Text operators DynamoDB cannot evaluate, refused with their path (after the where is checked). */
function refusePatterns(where: unknown): void {
  if (typeof where !== 'object' || where === null) return;
  for (const [field, condition] of Object.entries(where)) {
    if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) continue;
    if (condition instanceof Date) continue;
    for (const op of Object.keys(condition)) {
      const why = REFUSED_PATTERNS[op];
      if (why !== undefined && (condition as Record<string, unknown>)[op] !== undefined) {
        unsupportedQuery(`where.${field}.${op}`, why);
      }
    }
  }
}

interface KeyPath {
  readonly index: string | undefined;
  readonly hash: KeyAttribute;
  readonly range: KeyAttribute | undefined;
}

const RANGE_SIGNS = new Set(['=', '<', '<=', '>', '>=']);

function isEquality(p: Predicate, column: ModelColumn): boolean {
  return p.op === 'compare' && p.sign === '=' && p.column === column;
}

function isRangeCondition(p: Predicate, column: ModelColumn): boolean {
  if (p.op === 'keyIn' || p.column !== column) return false;
  if (p.op === 'compare') return RANGE_SIGNS.has(p.sign);
  return p.op === 'like' && p.match === 'startsWith' && !p.caseless;
}

/**
 * Plans a read of `tables`: checks `where` and `sort` against the model (typed errors naming
 * the field), refuses what DynamoDB cannot do without reading everything (caseless or
 * ends-with text, a sort no key gives), picks the table or index to Query, else a Scan.
 */
export function planRead(
  tables: ModelTables,
  where: unknown,
  sort: unknown,
  live: boolean,
  consistent: boolean,
): ReadPlan {
  const predicates = compileWhere(tables.model, where);
  refusePatterns(where);
  const order = compileSort(tables.model, sort);
  const paths: KeyPath[] = [
    { index: undefined, hash: tables.hash, range: tables.range },
    ...tables.indexes.map((i) => ({ index: i.name, hash: i.hash, range: i.range })),
  ];
  let best: { path: KeyPath; hash: Predicate; range: Predicate | undefined } | undefined;
  for (const path of paths) {
    const hash = predicates.find((p) => isEquality(p, path.hash.column));
    if (hash === undefined) continue;
    const range =
      path.range === undefined
        ? undefined
        : predicates.find(
            (p) => p !== hash && isRangeCondition(p, (path.range as KeyAttribute).column),
          );
    // The table first (strongly consistent reads), then an index with both keys used.
    const better =
      best?.path.index !== undefined && best.range === undefined && range !== undefined;
    if (best === undefined || better) best = { path, hash, range };
  }
  const parts = new ExpressionParts();
  const input: Record<string, unknown> = { TableName: tables.table };
  const used = new Set<Predicate>();
  let index: string | undefined;
  if (best !== undefined) {
    const { path } = best;
    used.add(best.hash);
    const key = [keyCondition(parts, best.hash)];
    if (best.range !== undefined) {
      used.add(best.range);
      key.push(keyCondition(parts, best.range));
    }
    input.KeyConditionExpression = key.join(' AND ');
    if (path.index !== undefined) input.IndexName = path.index;
    index = path.index;
    checkSort(order, path, tables);
    const item = order[0];
    if (item !== undefined && path.range !== undefined && item.descending) {
      input.ScanIndexForward = false;
    }
  } else if (order.length > 0) {
    unsupportedQuery(
      'sort',
      `a scan of ${tables.table} returns items in no order: DynamoDB sorts only by the range key of the index a query uses (an index on [${order[0]?.column.property}, …] queried by equality on its first field)`,
    );
  }
  if (index === undefined && consistent) input.ConsistentRead = true;
  const filters: string[] = [];
  let empty = false;
  const post: ((item: Item) => boolean)[] = [];
  for (const p of predicates) {
    if (used.has(p)) continue;
    if (p.op === 'in' && p.values.length === 0) empty = true;
    const check = postCondition(p);
    if (check !== undefined) {
      post.push(check);
      continue;
    }
    const text = conditionExpression(parts, p);
    if (text !== '') filters.push(text);
  }
  if (live && tables.model.flags.versioned) {
    filters.push(`${parts.name('active')} = ${parts.value(true)}`);
  } else if (live && tables.model.flags.softDelete) {
    filters.push(`attribute_not_exists(${parts.name('deleted_at')})`);
  }
  if (filters.length > 0) input.FilterExpression = filters.join(' AND ');
  Object.assign(input, parts.input());
  const positionKeys = [tables.hash.name];
  if (tables.range !== undefined) positionKeys.push(tables.range.name);
  if (best?.path.index !== undefined) {
    for (const k of [best.path.hash, best.path.range]) {
      if (k !== undefined && !positionKeys.includes(k.name)) positionKeys.push(k.name);
    }
  }
  return {
    operation: empty ? 'none' : best === undefined ? 'scan' : 'query',
    input,
    positionKeys,
    filtered: filters.length > 0 || post.length > 0,
    index,
    post,
  };
}

/** JSON as text with keys in order: equal values, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) => {
    if (typeof v === 'bigint') return String(v);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** The check of a predicate DynamoDB cannot filter by, or undefined when it can. */
function postCondition(p: Predicate): ((item: Item) => boolean) | undefined {
  if (p.op === 'keyIn') return undefined;
  const attribute = p.column.column;
  if (p.op === 'like' && p.match === 'endsWith' && !p.caseless) {
    const text = p.text;
    return (item) => {
      const value = item[attribute];
      return typeof value === 'string' && value.endsWith(text);
    };
  }
  if (p.column.codec.storage !== 'json') return undefined;
  const codec = p.column.codec;
  const texts = (values: readonly unknown[]) =>
    new Set(values.map((v) => canonical(conditionValue(codec, v))));
  if (p.op === 'compare' && (p.sign === '=' || p.sign === '<>')) {
    const wanted = canonical(conditionValue(codec, p.value));
    const equal = p.sign === '=';
    return (item) =>
      item[attribute] !== undefined && (canonical(item[attribute]) === wanted) === equal;
  }
  if (p.op === 'in' || p.op === 'notIn') {
    const wanted = texts(p.values);
    const inside = p.op === 'in';
    return (item) =>
      item[attribute] !== undefined && wanted.has(canonical(item[attribute])) === inside;
  }
  return undefined;
}

function keyCondition(parts: ExpressionParts, p: Predicate): string {
  if (p.op === 'like') {
    return `begins_with(${parts.name(p.column.column)}, ${parts.value(p.text)})`;
  }
  const compare = p as Extract<Predicate, { op: 'compare' }>;
  return `${parts.name(compare.column.column)} ${compare.sign} ${parts.value(conditionValue(compare.column.codec, compare.value))}`;
}

/** A query returns items in its range key's order: a sort by that key alone is honoured. */
function checkSort(
  order: readonly { column: ModelColumn; descending: boolean }[],
  path: KeyPath,
  tables: ModelTables,
): void {
  if (order.length === 0) return;
  // Equality on the whole key of the table: one item at most, in any order.
  if (path.index === undefined && path.range === undefined) return;
  if (order.length === 1 && path.range !== undefined && order[0]?.column === path.range.column) {
    return;
  }
  unsupportedQuery(
    'sort',
    `a query of ${path.index ?? tables.table} returns items in the order of ${path.range?.column.property ?? 'nothing'}: DynamoDB cannot sort by ${order.map((o) => o.column.property).join(', ')}`,
  );
}
