import type { ErrorCode } from '../errors/error-codes.js';
import {
  AlreadyExistsError,
  AuthenticationError,
  AuthorizationError,
  ConflictError,
  DeadlineExceededError,
  DependencyFailureError,
  DependencyThrottledError,
  DependencyTimeoutError,
  DependencyUnavailableError,
  InvalidOperationError,
  LibrettoError,
  NotFoundError,
  PermissionDeniedError,
  RelatedResourceNotFoundError,
  SubsystemUnavailableError,
  SystemResourceLimitExceededError,
  ValidationError,
} from '../errors/index.js';
import type { ErrorDetail } from '../errors/libretto-error.js';
import { HttpError } from './http-error.js';

/** What an error becomes on the wire. */
export interface HttpFailure {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Whether the error is the server's, not the client's: it is logged with the request id,
   * and the answer carries that id so that the log line can be found.
   */
  readonly internal: boolean;
}

type ErrorClass = abstract new (...args: never) => LibrettoError;

// The DDD classes a client can cause or should know about, in order: the first matching row
// wins (subclasses before their bases). Any other LibrettoError — UsageError, DI and
// lifecycle errors, InfrastructureError — is the server's fault: a logged 500.
const TABLE: readonly (readonly [readonly ErrorClass[], number, ErrorCode])[] = [
  [[AuthenticationError], 401, 'UNAUTHORIZED'],
  [[AuthorizationError, PermissionDeniedError], 403, 'FORBIDDEN'],
  [[NotFoundError], 404, 'RESOURCE_NOT_FOUND'],
  [[AlreadyExistsError], 409, 'DUPLICATE_RESOURCE'],
  [[ConflictError, InvalidOperationError], 409, 'CONFLICT'],
  [[ValidationError, RelatedResourceNotFoundError], 422, 'UNPROCESSABLE_ENTITY'],
  [[DeadlineExceededError, DependencyTimeoutError], 504, 'GATEWAY_TIMEOUT'],
  [
    [
      DependencyThrottledError,
      DependencyUnavailableError,
      SubsystemUnavailableError,
      SystemResourceLimitExceededError,
    ],
    503,
    'SERVICE_UNAVAILABLE',
  ],
  [[DependencyFailureError], 502, 'BAD_GATEWAY'],
];

const SAFE_MESSAGES: Readonly<Record<number, string>> = {
  500: 'Internal server error',
  502: 'A dependency failed',
  503: 'Service unavailable',
  504: 'A dependency timed out',
};

/** Fastify's own request errors, re-coded. */
const FASTIFY: Readonly<Record<string, readonly [number, ErrorCode, string]>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MALFORMED_JSON', 'The body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_JSON', 'The body is empty but declared as JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'The body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'BAD_REQUEST',
    'Content-Length does not match the body',
  ],
  FST_ERR_CTP_INVALID_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Invalid Content-Type'],
  FST_ERR_BAD_URL: [400, 'MALFORMED_URL', 'The URL is malformed'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URI_TOO_LONG', 'A path parameter is too long'],
};

function failure(
  status: number,
  code: ErrorCode,
  message: string,
  details: readonly ErrorDetail[] = [],
  internal = false,
  headers: Readonly<Record<string, string>> = {},
): HttpFailure {
  return { status, code, message, details, headers, internal };
}

/**
 * Maps anything a handler (or Fastify) threw to its HTTP answer: `HttpError` as given, DDD
 * errors per the table, Fastify's parsing errors to their own codes, anything else —
 * `UsageError` and every other `LibrettoError` outside the table included — to an internal
 * 500 with a safe message. 5xx answers never carry the error's own message or details.
 *
 * @example
 * toHttpFailure(new NotFoundError('User not found')); // { status: 404, code: 'RESOURCE_NOT_FOUND', … }
 */
export function toHttpFailure(error: unknown): HttpFailure {
  if (error instanceof HttpError) {
    return failure(error.status, error.code, error.message, error.details, false, error.headers);
  }
  if (error instanceof LibrettoError) {
    for (const [classes, status, code] of TABLE) {
      if (classes.some((c) => error instanceof c)) {
        return status >= 500
          ? failure(status, code, SAFE_MESSAGES[status] as string, [], true)
          : failure(status, code, error.message, error.details);
      }
    }
    return failure(500, 'INTERNAL_SERVER_ERROR', SAFE_MESSAGES[500] as string, [], true);
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string') {
    const known = FASTIFY[fastifyCode];
    if (known !== undefined) return failure(known[0], known[1], known[2]);
  }
  // The JSON parser's own errors (and prototype-poisoning refusals) arrive as SyntaxError.
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return failure(400, 'MALFORMED_JSON', 'The body is not valid JSON');
  }
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return failure(status, 'BAD_REQUEST', 'Bad request');
  }
  return failure(500, 'INTERNAL_SERVER_ERROR', SAFE_MESSAGES[500] as string, [], true);
}
