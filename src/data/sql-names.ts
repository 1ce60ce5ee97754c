import { ValidationError } from '../errors/domain-errors.js';

/**
 * A quoted SQL identifier. Names reach it only after they were checked (model and table
 * names at definition, fields against the model); doubling `"` keeps it safe regardless.
 */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The ValidationError for a bad argument, with its path. */
export function invalidInput(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, { details: [{ path, message }] });
}
