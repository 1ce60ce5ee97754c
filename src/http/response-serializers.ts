import { type JsonSchema, serializerSchema, toJsonSchema } from './json-schema.js';
import type { Route } from './route.js';
import { statusesOf } from './route.js';

/**
 * The envelope of a success answer whose `data` is `data` (a JSON Schema with its `$defs`
 * at its root), as one document: the definitions move to the envelope's root, where the
 * references to them already point; a reference to the data's own root (`#`, a recursive
 * schema) points to its new place.
 */
function successEnvelopeSchema(data: JsonSchema): JsonSchema {
  const { $schema: _, $defs, ...root } = data;
  const defs: Record<string, unknown> = { ...($defs as Record<string, unknown> | undefined) };
  let body: unknown = root;
  if (JSON.stringify(root).includes('"$ref":"#"')) {
    defs.ResponseData = rootRefs(root);
    body = { $ref: '#/$defs/ResponseData' };
  }
  return {
    type: 'object',
    required: ['success', 'data', 'error'],
    properties: { success: { type: 'boolean' }, data: body, error: { type: 'null' } },
    ...(Object.keys(defs).length === 0 ? {} : { $defs: rootRefs(defs) }),
  };
}

/** `#` references rewritten to the data's place under `$defs`. */
function rootRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rootRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === '$ref' && v === '#' ? '#/$defs/ResponseData' : rootRefs(v);
  }
  return out;
}

/**
 * Fastify's `schema.response` of a route: for each of its success statuses with a body, the
 * envelope of its `response` schema's output. Fastify compiles each into a serializer
 * (fast-json-stringify) when the server starts, so what is sent is what the schema declares:
 * a field it does not name never leaves the process. Undefined for a route without a
 * `response` schema (its data is sent as `JSON.stringify` writes it).
 */
export function responseSerializers(route: Route): Record<string, JsonSchema> | undefined {
  const schema = route.options.response;
  if (schema === undefined) return undefined;
  const envelope = serializerSchema(successEnvelopeSchema(toJsonSchema(schema, 'output')));
  const out: Record<string, JsonSchema> = {};
  for (const status of statusesOf(`route ${route.method} ${route.path}`, route.options.status)) {
    if (status !== 204) out[String(status)] = envelope;
  }
  return out;
}
