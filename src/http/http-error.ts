import type { ErrorCode } from '../errors/error-codes.js';
import { invalidOption } from '../errors/invalid-option.js';
import { brandError, type ErrorDetail, LibrettoError } from '../errors/libretto-error.js';

/**
 * An error that is its own HTTP answer: status, code, message and details go to the client
 * exactly as given. Throw it from a handler for full control over the response. `code` is an
 * {@link ErrorCode}: the HTTP codes Libretto answers with are in the catalogue
 * (`METHOD_NOT_ALLOWED`, `RESOURCE_NOT_FOUND`, …); add your own to `ErrorCodes`.
 *
 * @example
 * declare module 'libretto' {
 *   interface ErrorCodes { RATE_LIMITED: string }
 * }
 * throw new HttpError(429, 'RATE_LIMITED', 'Slow down', {
 *   details: [{ retryAfter: 30 }],
 *   headers: { 'retry-after': '30' },
 * });
 */
export class HttpError extends LibrettoError {
  static override readonly code: ErrorCode = 'HTTP_ERROR';
  static {
    brandError(this, 'HttpError');
  }
  readonly status: number;
  /** Extra response headers, e.g. `Allow` for 405 or `Retry-After` for 429. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: {
      details?: readonly ErrorDetail[];
      cause?: unknown;
      headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    const { headers, ...rest } = options;
    super(message, { ...rest, code });
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      invalidOption('HttpError', 'status', `${status} is not an error status (400-599)`);
    }
    this.status = status;
    this.headers = headers ?? {};
  }
}

/** Where an invalid request value was found. */
export type InputLocation = 'path' | 'query' | 'body' | 'headers';

/** One problem with the request, as listed in an error response's `details`. */
export type InputIssue = {
  readonly location: InputLocation;
  /** Dotted path inside that location (`items.0.name`); empty for the whole value. */
  readonly path: string;
  readonly message: string;
};

const INPUT_ERRORS: Readonly<
  Record<InputLocation, { status: number; code: ErrorCode; message: string }>
> = {
  path: { status: 400, code: 'INVALID_PATH_PARAMS', message: 'Invalid path parameters' },
  query: { status: 400, code: 'INVALID_QUERY_PARAMS', message: 'Invalid query parameters' },
  headers: { status: 400, code: 'INVALID_HEADERS', message: 'Invalid request headers' },
  body: { status: 422, code: 'INVALID_BODY', message: 'Invalid request body' },
};

/** The request failed its route's schema for one location. */
export function invalidInput(location: InputLocation, issues: readonly InputIssue[]): HttpError {
  const { status, code, message } = INPUT_ERRORS[location];
  return new HttpError(status, code, message, { details: issues });
}
