import type * as z from 'zod';
import { type InputIssue, type InputLocation, invalidInput } from './http-error.js';
import { compileInputCoercion } from './input-coercion.js';

/** Turns one raw input of a request into its validated value, or throws its input error. */
export type InputParser = (value: unknown) => unknown;

/**
 * Compiles, once per route, the parser of one request location: string coercion for the
 * path, query and headers (the body is JSON already), then the schema. A failure throws the
 * location's `HttpError` (`INVALID_PATH_PARAMS`, `INVALID_QUERY_PARAMS`, `INVALID_HEADERS`
 * or `INVALID_BODY`) listing every issue; an unknown key of a strict object is one issue per
 * key. Undefined when the route declares no schema there (the raw value passes through).
 */
export function inputParser(
  location: InputLocation,
  schema: z.ZodType | undefined,
): InputParser | undefined {
  if (schema === undefined) return undefined;
  const coerce =
    location === 'body' ? undefined : compileInputCoercion(schema, location === 'headers');
  return (value) => {
    const result = schema.safeParse(coerce === undefined ? value : coerce(value));
    if (result.success) return result.data;
    const issues: InputIssue[] = [];
    for (const issue of result.error.issues) {
      const base = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          issues.push({ location, path: [...base, key].join('.'), message: 'unknown key' });
      } else {
        issues.push({ location, path: base.join('.'), message: issue.message });
      }
    }
    throw invalidInput(location, issues);
  };
}
