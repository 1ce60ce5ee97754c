import type { Predicate, SortItem } from '../data/dialect/sql-dialect.js';
import type { ModelColumn, TableModel } from '../data/model.js';
import { RecordCodec } from './surreal-records.js';

type Bindings = Record<string, unknown>;

/** A field name in SurrealQL: names were checked against the model; backticks keep keywords (`group`) names. */
export function field(name: string): string {
  return `\`${name}\``;
}

/** `active = true`, `deleted_at = NULL`, or '' when nothing is ever deleted softly. */
export function liveCondition(model: TableModel): string {
  if (model.flags.versioned) return 'active = true';
  return model.flags.softDelete ? '(deleted_at = NONE OR deleted_at = NULL)' : '';
}

const SIGNS: Readonly<Record<string, string>> = {
  '=': '=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

const MATCHES = {
  contains: 'string::contains',
  startsWith: 'string::starts_with',
  endsWith: 'string::ends_with',
} as const;

/**
 * The conditions of `where` (checked by `compileWhere`) as SurrealQL, each value a binding.
 * As in SQL, a comparison other than equality, `notIn` and the text operators never match an
 * absent or null value. The key is the record id (`id = person:⟨…⟩`, an index lookup); a
 * `belongsTo` field is compared as the record link it is.
 */
export class ConditionWriter {
  readonly #codec: RecordCodec;
  readonly bindings: Bindings;
  #n = 0;

  constructor(codec: RecordCodec, bindings: Bindings = {}) {
    this.#codec = codec;
    this.bindings = bindings;
  }

  /** Adds a value as a binding; its name in the text. */
  bind(value: unknown): string {
    const name = `p${this.#n++}`;
    this.bindings[name] = value;
    return `$${name}`;
  }

  /** `WHERE …` (with the live condition unless `includeDeleted`), or ''. */
  where(predicates: readonly Predicate[], live: boolean): string {
    const parts = predicates.map((p) => this.#predicate(p));
    const alive = live ? liveCondition(this.#codec.model) : '';
    if (alive !== '') parts.unshift(alive);
    return parts.length === 0 ? '' : ` WHERE ${parts.join(' AND ')}`;
  }

  /** ` ORDER BY …`, or ''. */
  order(order: readonly SortItem[]): string {
    if (order.length === 0) return '';
    const items = order.map((s) => `${this.#name(s.column)} ${s.descending ? 'DESC' : 'ASC'}`);
    return ` ORDER BY ${items.join(', ')}`;
  }

  #name(column: ModelColumn): string {
    return this.#codec.isId(column) ? 'id' : field(column.column);
  }

  /** A value as stored: a record id for the key, a link for a `belongsTo` field. */
  #value(column: ModelColumn, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (this.#codec.isId(column)) return this.#codec.recordId(value);
    const link = this.#codec.linkOf(column);
    if (link !== undefined) return RecordCodec.linkTo(link.table, value);
    // compileWhere gives SQL parameters: JSON as text.
    if (column.codec.storage === 'json' && typeof value === 'string') return JSON.parse(value);
    return value;
  }

  /** The value as text, for the text operators (a key or a link by its id). */
  #text(column: ModelColumn): string {
    const name = this.#name(column);
    return this.#codec.isId(column) || this.#codec.linkOf(column) !== undefined
      ? `<string> record::id(${name})`
      : `<string> ${name}`;
  }

  #present(column: ModelColumn): string {
    const name = this.#name(column);
    return `${name} != NONE AND ${name} != NULL`;
  }

  #predicate(p: Predicate): string {
    if (p.op === 'keyIn') {
      const ids = p.lists[0]?.map((_, i) =>
        this.#codec.recordId(
          Object.fromEntries(p.columns.map((c, k) => [c.property, p.lists[k]?.[i]])),
        ),
      );
      return `id IN ${this.bind(ids ?? [])}`;
    }
    const column = p.column;
    const name = this.#name(column);
    switch (p.op) {
      case 'compare': {
        const value = this.bind(this.#value(column, p.value));
        const sign = SIGNS[p.sign] as string;
        // `id IN […]`: SurrealDB 3.0 misses records written in the same transaction with `id = …`.
        if (p.sign === '=' && this.#codec.isId(column)) return `id IN [${value}]`;
        return p.sign === '='
          ? `${name} = ${value}`
          : `(${this.#present(column)} AND ${name} ${sign} ${value})`;
      }
      case 'like': {
        const text = p.caseless ? `string::lowercase(${this.#text(column)})` : this.#text(column);
        const needle = this.bind(p.caseless ? p.text.toLowerCase() : p.text);
        return `(${this.#present(column)} AND ${MATCHES[p.match]}(${text}, ${needle}))`;
      }
      case 'in':
        return `${name} IN ${this.bind(p.values.map((v) => this.#value(column, v)))}`;
      case 'notIn':
        return `(${this.#present(column)} AND ${name} NOT IN ${this.bind(p.values.map((v) => this.#value(column, v)))})`;
      case 'isNull':
        return `(${name} = NONE OR ${name} = NULL)`;
      case 'isNotNull':
        return `(${this.#present(column)})`;
    }
  }
}
