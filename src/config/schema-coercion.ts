import type * as z from 'zod';
import { defOf, unwrap } from '../internal/zod-introspection.js';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function coerceString(text: string, schema: z.core.$ZodType): unknown {
  const { core, nullable } = unwrap(schema);
  if (nullable && text === 'null') return null;
  const def = defOf(core);
  switch (def.type) {
    case 'number':
      return NUMBER.test(text.trim()) ? Number(text) : text;
    case 'bigint':
      return /^[-+]?\d+$/.test(text.trim()) ? BigInt(text.trim()) : text;
    case 'boolean': {
      const t = text.trim().toLowerCase();
      return TRUE.has(t) ? true : FALSE.has(t) ? false : text;
    }
    case 'array':
    case 'tuple': {
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) return coerceToSchema(parseJson(text), schema);
      if (def.type === 'tuple' || trimmed === '') return trimmed === '' ? [] : text;
      const items = trimmed.split(',').map((s) => s.trim());
      return items.map((item) => coerceString(item, def.element as z.core.$ZodType));
    }
    case 'object':
    case 'record':
      return text.trim().startsWith('{') ? coerceToSchema(parseJson(text), schema) : text;
    case 'literal': {
      const match = (def.values as readonly unknown[]).find((v) => String(v) === text);
      return match === undefined ? text : match;
    }
    case 'union': {
      const options = def.options as readonly z.core.$ZodType[];
      // A union that takes the string as it is keeps it; else the first option that
      // accepts its own coercion wins.
      if (options.some((o) => accepts(o, text))) return text;
      for (const option of options) {
        const coerced = coerceString(text, option);
        if (accepts(option, coerced)) return coerced;
      }
      return text;
    }
    default:
      return text;
  }
}

function accepts(schema: z.core.$ZodType, value: unknown): boolean {
  const result = schema['~standard'].validate(value);
  return !(result instanceof Promise) && result.issues === undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A key as environment variables can spell it: `poolSize`, `pool_size`, `POOL_SIZE` agree. */
export function foldKey(key: string): string {
  return key.replace(/[_-]/g, '').toLowerCase();
}

/**
 * Converts string leaves (as read from environment variables) to what `schema` expects:
 * numbers, booleans (`true/false/1/0/yes/no/on/off`), bigints, arrays (JSON or comma
 * separated), objects (JSON), literals, and `null` for nullable fields. Object keys are
 * matched to the schema's keys ignoring case, `_` and `-` (`POOL_SIZE` fills `poolSize`).
 * Anything that cannot be converted is left as is for the schema to reject with a message.
 */
export function coerceToSchema(value: unknown, schema: z.core.$ZodType | undefined): unknown {
  if (schema === undefined) return value;
  if (typeof value === 'string') return coerceString(value, schema);
  if (typeof value !== 'object' || value === null) return value;
  const { core } = unwrap(schema);
  const def = defOf(core);
  if (Array.isArray(value)) {
    if (def.type !== 'array') return value;
    return value.map((v) => coerceToSchema(v, def.element as z.core.$ZodType));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (def.type === 'record') {
    const valueType = def.valueType as z.core.$ZodType;
    return Object.fromEntries(entries.map(([k, v]) => [k, coerceToSchema(v, valueType)]));
  }
  if (def.type !== 'object') return value;
  const shape = def.shape as Record<string, z.core.$ZodType>;
  const byFolded = new Map(Object.keys(shape).map((k) => [foldKey(k), k]));
  return Object.fromEntries(
    entries.map(([k, v]) => {
      const key = shape[k] === undefined ? (byFolded.get(foldKey(k)) ?? k) : k;
      return [key, coerceToSchema(v, shape[key])];
    }),
  );
}
