import type { Predicate } from '../data/dialect/sql-dialect.js';
import type { FieldCodec } from '../data/field-codec.js';
import { attributeValue } from './dynamo-items.js';

/** Attribute names and values of an expression, by placeholder (`#n0`, `:v0`). */
export class ExpressionParts {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly #nameOf = new Map<string, string>();
  #next = 0;

  /** The placeholder of an attribute name (every name goes through one: no reserved word bites). */
  name(attribute: string): string {
    let placeholder = this.#nameOf.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${this.#nameOf.size}`;
      this.#nameOf.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  /** The placeholder of a value. */
  value(value: unknown): string {
    const placeholder = `:v${this.#next++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `ExpressionAttributeNames` / `Values` for a command, left out when empty (DynamoDB refuses `{}`). */
  input(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(this.#nameOf.size === 0 ? {} : { ExpressionAttributeNames: this.names }),
      ...(this.#next === 0 ? {} : { ExpressionAttributeValues: this.values }),
    };
  }
}

/**
 * A `where` value as the attribute holds it: the repository's checks give column values
 * (`toColumnValue`: JSON as text, bigints as text), DynamoDB compares stored attributes.
 */
export function conditionValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (codec.storage === 'json' && typeof value === 'string') {
    return attributeValue(codec, JSON.parse(value));
  }
  if (codec.kind === 'bigint' && typeof value === 'string') return BigInt(value);
  return attributeValue(codec, value);
}

const IN_LIMIT = 100;

/** `IN` takes at most 100 operands: longer lists are ORs of 100s. */
function inList(
  parts: ExpressionParts,
  name: string,
  codec: FieldCodec,
  values: readonly unknown[],
): string {
  const groups: string[] = [];
  for (let i = 0; i < values.length; i += IN_LIMIT) {
    const slice = values.slice(i, i + IN_LIMIT).map((v) => parts.value(conditionValue(codec, v)));
    groups.push(`${name} IN (${slice.join(', ')})`);
  }
  return groups.length === 1 ? (groups[0] as string) : `(${groups.join(' OR ')})`;
}

/**
 * One checked predicate as a condition expression. A missing attribute is null, and as in
 * SQL a null matches no comparison, `<>` and `NOT IN` included. Pattern predicates DynamoDB
 * cannot evaluate (caseless, ends-with) are refused before this is called.
 */
export function conditionExpression(parts: ExpressionParts, p: Predicate): string {
  if (p.op === 'keyIn') throw new Error('keyIn is read by key, not filtered');
  const name = parts.name(p.column.column);
  const codec = p.column.codec;
  switch (p.op) {
    case 'compare':
      if (p.sign === '<>') {
        return `(attribute_exists(${name}) AND ${name} <> ${parts.value(conditionValue(codec, p.value))})`;
      }
      return `${name} ${p.sign} ${parts.value(conditionValue(codec, p.value))}`;
    case 'in':
      // An empty list matches nothing: the read plan answers it without a request.
      return inList(parts, name, codec, p.values);
    case 'notIn':
      // An empty list excludes nothing (as `<> ALL('{}')`): no condition at all.
      return p.values.length === 0
        ? ''
        : `(attribute_exists(${name}) AND NOT ${inList(parts, name, codec, p.values)})`;
    case 'like':
      return p.match === 'startsWith'
        ? `begins_with(${name}, ${parts.value(p.text)})`
        : `contains(${name}, ${parts.value(p.text)})`;
    case 'isNull':
      return `attribute_not_exists(${name})`;
    case 'isNotNull':
      return `attribute_exists(${name})`;
  }
}
