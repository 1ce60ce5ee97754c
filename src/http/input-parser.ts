import type * as z from 'zod';
import { type InputLocation, invalidInput } from './http-error.js';
import { compileInputCoercion } from './input-coercion.js';
import { nulIssues } from './nul-text.js';

/** Turns one raw input of a request into its validated value, or throws its input error. */
export type InputParser = (value: unknown) => unknown;

/**
 * Compiles, once per route, the parser of one request location: string coercion for the
 * path, query and headers (the body is JSON already), then the schema. A failure throws the
 * location's `HttpError` (`INVALID_PATH_PARAMS`, `INVALID_QUERY_PARAMS`, `INVALID_HEADERS`
 * or `INVALID_BODY`) listing every issue; an unknown key of a strict object is one issue per
 * key. A NUL character in a string or key of the path or query is an issue too, schema or
 * not: PostgreSQL cannot store it (the body's are refused by the JSON parser, the headers' by
 * Node's). Without a schema the raw value passes through once checked; undefined for a body
 * or headers without one.
 */
export function inputParser(
  location: InputLocation,
  schema: z.ZodType | undefined,
): InputParser | undefined {
  if (schema === undefined) {
    if (location === 'headers' || location === 'body') return undefined;
    return (value) => {
      const refused = nulIssues(location, value);
      if (refused !== undefined) throw invalidInput(location, refused);
      return value;
    };
  }
  const coerce =
    location === 'body' ? undefined : compileInputCoercion(schema, location === 'headers');
  const checkNul = location === 'path' || location === 'query';
  return (value) => {
    const input = coerce === undefined ? value : coerce(value);
    const refused = checkNul ? nulIssues(location, input) : undefined;
    const result = schema.safeParse(input);
    if (result.success && refused === undefined) return result.data;
    const issues = refused ?? [];
    if (!result.success) {
      for (const issue of result.error.issues) {
        const base = issue.path.map(String);
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys)
            issues.push({ location, path: [...base, key].join('.'), message: 'unknown key' });
        } else {
          issues.push({ location, path: base.join('.'), message: issue.message });
        }
      }
    }
    throw invalidInput(location, issues);
  };
}
