import * as z from 'zod';
import { defOf } from '../internal/zod-introspection.js';

/** A JSON Schema (draft 2020-12) as plain JSON. */
export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema: `input` for what a client sends, `output` for what a handler
 * returns (and what is sent). Values JSON has no type for are written as they travel: a
 * `Date` as an RFC 3339 `date-time` string, a `bigint` as an `int64` integer. Named schemas
 * (`.meta({ id })`) and recursive ones are under `$defs`.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io,
    override: ({ zodSchema, jsonSchema }) => {
      const type = defOf(zodSchema).type;
      if (type === 'date') Object.assign(jsonSchema, { type: 'string', format: 'date-time' });
      else if (type === 'bigint') Object.assign(jsonSchema, { type: 'integer', format: 'int64' });
    },
  }) as JsonSchema;
}

/**
 * The schema a response serializer is compiled from: the JSON Schema with every
 * `additionalProperties: false` dropped. The serializer writes the declared properties only
 * either way; without the keyword, a value with undeclared fields inside a union still
 * matches its branch (and loses those fields) instead of matching none.
 */
export function serializerSchema(json: JsonSchema): JsonSchema {
  return withoutClosedObjects(json) as JsonSchema;
}

function withoutClosedObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutClosedObjects);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'additionalProperties' && v === false) continue;
    out[key] = withoutClosedObjects(v);
  }
  return out;
}
