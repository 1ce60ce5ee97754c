import type * as z from 'zod';
import { coerceToSchema, foldKey } from '../config/schema-coercion.js';
import { defOf, unwrap } from '../internal/zod-introspection.js';

type Coerce = (value: unknown) => unknown;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

const same: Coerce = (v) => v;

function scalar(schema: z.core.$ZodType): Coerce {
  const type = defOf(unwrap(schema).core).type;
  switch (type) {
    case 'string':
    case 'enum':
      return same;
    case 'number':
      return (v) => (typeof v === 'string' && NUMBER.test(v) ? Number(v) : v);
    case 'boolean':
      return (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v);
    default:
      // Rarer shapes (unions, literals, bigints, nullables) take the general, slower path.
      return (v) => (typeof v === 'string' ? coerceToSchema(v, schema) : v);
  }
}

/**
 * Compiles, once per route, how to turn the strings of a path, query string or header set
 * into what `schema` expects: numbers, booleans (`true/false/1/0`), and arrays — from
 * repeated keys (`?tag=a&tag=b`), a single value becoming a one-element array. Keys match
 * the schema's ignoring case, `_` and `-` only for headers. Values that cannot be converted
 * are left for the schema to reject. Undefined when nothing needs converting.
 */
export function compileInputCoercion(
  schema: z.core.$ZodType,
  foldKeys = false,
): Coerce | undefined {
  const def = defOf(unwrap(schema).core);
  if (def.type !== 'object') return undefined;
  const shape = def.shape as Record<string, z.core.$ZodType>;
  const fields = new Map<string, { key: string; coerce: Coerce }>();
  let needed = false;
  for (const [key, field] of Object.entries(shape)) {
    const fieldDef = defOf(unwrap(field).core);
    let coerce: Coerce;
    if (fieldDef.type === 'array') {
      const element = scalar(fieldDef.element as z.core.$ZodType);
      coerce = (v) => (Array.isArray(v) ? v.map(element) : v === undefined ? v : [element(v)]);
    } else {
      const one = scalar(field);
      coerce = one === same ? same : (v) => (Array.isArray(v) ? v : one(v));
    }
    fields.set(foldKeys ? foldKey(key) : key, { key, coerce });
    if (coerce !== same) needed = true;
  }
  // Strings for strings (a path of ids, say): the input goes to the schema as it is.
  if (!needed && !foldKeys) return undefined;
  return (input) => {
    if (typeof input !== 'object' || input === null) return input;
    const out: Record<string, unknown> = {};
    for (const name in input) {
      if (!Object.hasOwn(input, name)) continue;
      const value = (input as Record<string, unknown>)[name];
      const field = fields.get(foldKeys ? foldKey(name) : name);
      if (field === undefined) out[name] = value;
      else out[field.key] = field.coerce(value);
    }
    return out;
  };
}
