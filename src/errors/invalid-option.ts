import { ValidationError } from './domain-errors.js';

/** Throws the `ValidationError` for a bad argument of a public entry point. */
export function invalidOption(where: string, path: string, message: string): never {
  throw new ValidationError(`${where}: ${path} ${message}`, { details: [{ path, message }] });
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
