import type * as z from 'zod';
import { type InputIssue, type InputLocation, invalidInput } from './http-error.js';
import { compileInputCoercion } from './input-coercion.js';
import { nulPaths } from './nul-text.js';

/** Turns one raw input of a request into its validated value, or throws its input error. */
export type InputParser = (value: unknown) => unknown;

const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';

function nulIssues(location: InputLocation, paths: readonly string[]): InputIssue[] {
  return paths.map((path) => ({ location, path, message: NUL_MESSAGE }));
}

/**
 * Compiles, once per route, the parser of one request location: string coercion for the
 * path, query and headers (the body is JSON already), then the schema. A failure throws the
 * location's `HttpError` (`INVALID_PATH_PARAMS`, `INVALID_QUERY_PARAMS`, `INVALID_HEADERS`
 * or `INVALID_BODY`) listing every issue; an unknown key of a strict object is one issue per
 * key. A NUL character in any string or key is an issue too, schema or not: PostgreSQL
 * cannot store it. Without a schema the raw value passes through once checked for NULs
 * (headers unchecked: Node's parser refuses a NUL in them); undefined for headers without one.
 */
export function inputParser(
  location: InputLocation,
  schema: z.ZodType | undefined,
): InputParser | undefined {
  if (schema === undefined) {
    if (location === 'headers') return undefined;
    return (value) => {
      const refused = nulPaths(value);
      if (refused !== undefined) throw invalidInput(location, nulIssues(location, refused));
      return value;
    };
  }
  const coerce =
    location === 'body' ? undefined : compileInputCoercion(schema, location === 'headers');
  return (value) => {
    const input = coerce === undefined ? value : coerce(value);
    const refused = nulPaths(input);
    const result = schema.safeParse(input);
    if (result.success && refused === undefined) return result.data;
    const issues = refused === undefined ? [] : nulIssues(location, refused);
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
