import type { FastifyBodyParser } from 'fastify';
import { type InputIssue, type InputLocation, invalidInput } from './http-error.js';

/**
 * Text PostgreSQL cannot store: a NUL character (U+0000) is refused by `text`, `varchar` and
 * `jsonb` alike, so a request carrying one fails at the edge, as input, instead of reaching
 * a statement and coming back as a database error.
 */

/** What an input issue says of a NUL. */
export const NUL_MESSAGE = 'must not contain a NUL character (\\u0000)';

/** Deeper than this, the check goes on with an explicit stack instead of the call stack. */
const MAX_RECURSION = 32;

/** The dotted paths of the strings and keys of `value` that hold a NUL: an explicit stack. */
function collect(value: unknown): string[] {
  const found: string[] = [];
  const stack: { value: unknown; path: readonly string[] }[] = [{ value, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: item, path } = next;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) found.push(path.join('.'));
    } else if (typeof item === 'object' && item !== null) {
      const entries = Array.isArray(item)
        ? item.map((element, i) => [String(i), element] as const)
        : Object.entries(item);
      for (const [key, element] of entries) {
        // A key with a NUL is reported once, as itself; what it holds is not looked into.
        if (key.includes('\u0000'))
          found.push([...path, key.replaceAll('\u0000', '\\u0000')].join('.'));
        else stack.push({ value: element, path: [...path, key] });
      }
    }
  }
  return found;
}

/** Whether any string or key of `value` holds a NUL: recursive while shallow (the usual). */
function holdsNul(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_RECURSION) return collect(value).length > 0;
  if (Array.isArray(value)) {
    for (const element of value) if (holdsNul(element, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('\u0000')) return true;
    if (holdsNul((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * The input issues of every string and key of `value` holding a NUL (`items.0.name`; empty
 * for the value itself); undefined when none does — no paths are built then.
 */
export function nulIssues(location: InputLocation, value: unknown): InputIssue[] | undefined {
  if (!holdsNul(value, 0)) return undefined;
  return collect(value).map((path) => ({ location, path, message: NUL_MESSAGE }));
}

/**
 * Wraps Fastify's JSON body parser to refuse a body with a NUL in a string or key as
 * `INVALID_BODY`, with its paths, for every route (with a body schema or not). JSON text
 * can only carry a NUL as the escape `\u0000`: a body whose text lacks it is not walked.
 */
export function nulRefusingJsonParser(parse: FastifyBodyParser<string>): FastifyBodyParser<string> {
  return (request, body, done) => {
    if (!body.includes('\\u0000')) return parse(request, body, done);
    parse(request, body, (error, value) => {
      const issues = error === null ? nulIssues('body', value) : undefined;
      if (issues === undefined) done(error, value);
      else done(invalidInput('body', issues), undefined);
    });
  };
}
