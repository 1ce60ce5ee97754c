/**
 * Text PostgreSQL cannot store: a NUL character (U+0000) is refused by `text`, `varchar` and
 * `jsonb` alike, so a request carrying one fails at the edge, as input, instead of reaching
 * a statement and coming back as a database error.
 */

// Objects and arrays are walked with an explicit stack: a JSON body nests deeper than the
// call stack allows (the JSON parser itself is not recursive).
type Pending = { readonly value: unknown; readonly path: readonly string[] };

function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return true;
    } else if (Array.isArray(item)) {
      for (const element of item) stack.push(element);
    } else if (typeof item === 'object' && item !== null) {
      for (const key in item) {
        if (!Object.hasOwn(item, key)) continue;
        if (key.includes('\u0000')) return true;
        stack.push((item as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/**
 * The dotted paths (`items.0.name`; empty for the value itself) of the strings and keys of
 * `value` that hold a NUL; undefined when none does. One pass without
 * paths first: a request with no NUL (nearly all) builds none.
 */
export function nulPaths(value: unknown): string[] | undefined {
  if (!holdsNul(value)) return undefined;
  const found: string[] = [];
  const stack: Pending[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: item, path } = stack.pop() as Pending;
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
