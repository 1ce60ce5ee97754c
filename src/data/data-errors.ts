import { ValidationError } from '../errors/domain-errors.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { UsageError } from '../errors/usage-error.js';

/**
 * Throws the UsageError for a programming mistake in server code: a field, operator, sort
 * key or relation name the model lacks, a query of the wrong shape. Never the client's fault:
 * HTTP answers it with a logged 500.
 */
export function misuse(code: ErrorCode, path: string, message: string): never {
  throw new UsageError(`${path}: ${message}`, { code, details: [{ path, message }] });
}

/**
 * Throws the ValidationError for data of the wrong shape, as a client may send it (an id that
 * is not a UUID, a list where a value belongs): HTTP answers it with a 422 naming the path.
 */
export function invalidValue(code: ErrorCode, path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, { code, details: [{ path, message }] });
}
