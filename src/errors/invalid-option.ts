import { UsageError } from './usage-error.js';

/**
 * Throws the `UsageError` (code `INVALID_OPTION`) for a bad argument of a public entry point:
 * `where` names the entry point, `path` the option, `message` what is wrong with it.
 */
export function invalidOption(where: string, path: string, message: string): never {
  throw new UsageError(`${where}: ${path} ${message}`, {
    code: 'INVALID_OPTION',
    details: [{ path, message }],
  });
}

/**
 * Rejects keys of an options object that the entry point does not know, so a typo
 * (`warmpu`, `envPrefx`) fails loudly instead of being ignored.
 */
export function rejectUnknownKeys(
  where: string,
  options: object,
  known: ReadonlySet<string>,
  pathPrefix = '',
): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) invalidOption(where, `${pathPrefix}${key}`, 'unknown option');
  }
}

/**
 * Checks numeric options against the least value each accepts: present ones must be finite
 * and at least their minimum (`UsageError` `INVALID_OPTION` naming the option otherwise).
 */
export function checkMinimums(
  where: string,
  options: object,
  minimums: Readonly<Record<string, number>>,
): void {
  for (const [key, min] of Object.entries(minimums)) {
    const value = (options as Record<string, unknown>)[key];
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value >= min)
    ) {
      invalidOption(where, key, `must be a finite number, ${min} or more`);
    }
  }
}
