import type { z } from 'zod';
import { ValidationError } from '../errors/domain-errors.js';
import { defOf, unwrap } from '../internal/zod-introspection.js';

/** How a field is stored and serialized, derived from its zod schema. */
export type FieldKind =
  | 'text'
  | 'uuid'
  | 'integer'
  | 'bigint-number'
  | 'double'
  | 'bigint'
  | 'boolean'
  | 'timestamp'
  | 'enum'
  | 'json'
  | 'model'
  | 'model-list';

/** The part of a model a nested field needs: its own dict conversions and schema. */
export interface NestedModel {
  readonly name: string;
  toDict(entity: object): Record<string, unknown>;
  fromDict(dict: unknown, path?: string): object;
}

/**
 * What a column holds, whatever the database: a dialect maps each to its own SQL type
 * (`timestamp` is `timestamptz` on PostgreSQL, `datetime(6)` on MySQL).
 */
export type StorageType =
  | 'text'
  | 'uuid'
  | 'integer'
  | 'bigint'
  | 'double'
  | 'numeric'
  | 'boolean'
  | 'timestamp'
  | 'json';

/** One field: what its column holds, whether it may be null, and its conversions. */
export interface FieldCodec {
  readonly kind: FieldKind;
  /** What the column holds (a numeric enum an integer, a nested model JSON). */
  readonly storage: StorageType;
  /** The column accepts NULL: the field is optional or nullable. */
  readonly nullable: boolean;
  /** What a NULL column becomes: null for a nullable field, absent for an optional one. */
  readonly nullValue: null | undefined;
  /** For `model` / `model-list`. */
  readonly nested: NestedModel | undefined;
  /** Numeric enums: value → name and back (string enums serialize as they are). */
  readonly enumNames: ReadonlyMap<unknown, string> | undefined;
  readonly enumValues: ReadonlyMap<string, unknown> | undefined;
}

const STORAGE: Record<FieldKind, StorageType> = {
  text: 'text',
  uuid: 'uuid',
  integer: 'integer',
  'bigint-number': 'bigint',
  double: 'double',
  bigint: 'numeric',
  boolean: 'boolean',
  timestamp: 'timestamp',
  enum: 'text',
  json: 'json',
  model: 'json',
  'model-list': 'json',
};

/** Nested models known by their schema: `Address.schema` used as a field is a nested model. */
export const nestedModels = new WeakMap<z.core.$ZodType, NestedModel>();

/**
 * What a field's zod schema becomes in a table and in a dict. The kind is that of the value
 * the field holds once parsed: a `.transform()` field is what it transforms from (zod cannot
 * tell the type a function returns), a `.pipe()` field what its output schema reads.
 */
export function fieldCodec(schema: z.core.$ZodType): FieldCodec {
  const { core: inner, optional, nullable } = unwrap(schema, 'output');
  const def = defOf(inner);
  const element = def.element as z.core.$ZodType | undefined;
  const nested = nestedModels.get(inner);
  let kind: FieldKind;
  let enumNames: Map<unknown, string> | undefined;
  let enumValues: Map<string, unknown> | undefined;
  if (nested !== undefined) kind = 'model';
  else if (def.type === 'array' && element !== undefined && nestedModels.has(element)) {
    kind = 'model-list';
  } else if (def.type === 'string') {
    kind = (inner as z.ZodString).format === 'uuid' ? 'uuid' : 'text';
  } else if (def.type === 'number') {
    const format = (inner as z.ZodNumber).format;
    kind = format === 'int32' ? 'integer' : format === 'safeint' ? 'bigint-number' : 'double';
  } else if (def.type === 'bigint') kind = 'bigint';
  else if (def.type === 'boolean') kind = 'boolean';
  else if (def.type === 'date') kind = 'timestamp';
  else if (def.type === 'enum') {
    kind = 'enum';
    const entries = Object.entries((def.entries ?? {}) as Record<string, unknown>);
    if (entries.some(([, v]) => typeof v === 'number')) {
      enumNames = new Map(entries.map(([k, v]) => [v, k]));
      enumValues = new Map(entries.map(([k, v]) => [k, v]));
    }
  } else kind = 'json';
  // A numeric enum is stored as a number; one mixing numbers and strings as JSON.
  const storage: StorageType =
    enumNames === undefined
      ? STORAGE[kind]
      : [...enumNames.keys()].every((v) => typeof v === 'number')
        ? 'integer'
        : 'json';
  return {
    kind,
    storage,
    nullable: optional || nullable,
    nullValue: nullable ? null : undefined,
    nested: kind === 'model-list' && element !== undefined ? nestedModels.get(element) : nested,
    enumNames,
    enumValues,
  };
}

/** A value as it goes into a plain object (JSON-friendly: dates as ISO strings). */
export function toDictValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (codec.kind) {
    case 'timestamp':
      return (value as Date).toISOString();
    case 'bigint':
      return String(value);
    case 'enum':
      return codec.enumNames?.get(value) ?? value;
    case 'model':
      return codec.nested?.toDict(value as object);
    case 'model-list':
      return (value as object[]).map((v) => codec.nested?.toDict(v));
    default:
      return value;
  }
}

/** The inverse of {@link toDictValue}; a value of the wrong shape is left for zod to reject. */
export function fromDictValue(codec: FieldCodec, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return value;
  switch (codec.kind) {
    case 'timestamp':
      return typeof value === 'string' ? parseTimestamp(value, path) : value;
    case 'bigint':
      return typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : value;
    case 'enum':
      return typeof value === 'string' && codec.enumValues?.has(value)
        ? codec.enumValues.get(value)
        : value;
    case 'model':
      return codec.nested?.fromDict(value, path);
    case 'model-list':
      return Array.isArray(value)
        ? value.map((v, i) => codec.nested?.fromDict(v, `${path}.${i}`))
        : value;
    default:
      return value;
  }
}

/** A value as a statement parameter for the field's column. */
export function toColumnValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (codec.kind) {
    case 'bigint':
      return String(value);
    case 'json':
      // Always as text: `pg` would turn a JS array into a PostgreSQL array, not JSON.
      return JSON.stringify(value);
    case 'enum':
      return codec.storage === 'json' ? JSON.stringify(value) : value;
    case 'model':
    case 'model-list':
      return JSON.stringify(toDictValue(codec, value));
    default:
      return value;
  }
}

/** A value inside a JSON document of rows (bulk insert): as `toColumnValue`, unencoded. */
export function toJsonColumnValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (codec.kind === 'enum' || codec.kind === 'json') return value;
  return toDictValue(codec, value);
}

/** A column value as the field's value (`undefined`: leave the property out). */
export function fromColumnValue(codec: FieldCodec, value: unknown): unknown {
  if (value === null || value === undefined) return codec.nullValue;
  switch (codec.kind) {
    case 'bigint-number':
      return Number(value);
    case 'bigint':
      return BigInt(value as string);
    case 'model':
    case 'model-list':
      return fromDictValue(codec, value, '');
    default:
      return value;
  }
}

/** Whether reading the column needs {@link fromColumnValue} (the rest come back as they are). */
export function needsColumnConversion(codec: FieldCodec): boolean {
  return (
    codec.kind === 'bigint-number' ||
    codec.kind === 'bigint' ||
    codec.kind === 'model' ||
    codec.kind === 'model-list' ||
    (codec.nullable && codec.nullValue === undefined)
  );
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function parseTimestamp(value: string, path: string): Date {
  const date = new Date(value);
  if (!ISO.test(value) || Number.isNaN(date.getTime())) {
    throw new ValidationError(`${path}: not an ISO 8601 date-time`, {
      code: 'INVALID_DATE',
      details: [{ path, message: 'expected an ISO 8601 date-time' }],
    });
  }
  return date;
}
