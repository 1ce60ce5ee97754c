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

/**
 * What a client reads for an error the database raised (codes `DB_*`): the database's own
 * message names the statement, table and constraint, and its details the SQLSTATE — the
 * schema is not the client's business. Those stay in the log line, with the request id.
 */
const DATABASE_MESSAGES: Readonly<Record<string, string>> = {
  DB_UNIQUE_VIOLATION: 'A resource with the same unique value already exists',
  DB_FOREIGN_KEY_VIOLATION: 'A related resource does not exist, or is still referenced',
  DB_NOT_NULL_VIOLATION: 'A required value is missing',
  DB_CHECK_VIOLATION: 'A value breaks a rule of the stored data',
  DB_INVALID_DATA: 'A value does not fit its stored type',
  DB_SERIALIZATION_FAILURE: 'The change conflicted with a concurrent one; retry',
  DB_DEADLOCK: 'The change conflicted with a concurrent one; retry',
};
const DATABASE_MESSAGE = 'The database refused the change';

/** Detail keys that describe the database, not the request: never sent, whoever set them. */
const SCHEMA_KEYS = ['statement', 'sqlstate', 'table', 'constraint', 'schema'];

function clientDetails(details: readonly ErrorDetail[]): readonly ErrorDetail[] {
  if (!details.some((d) => SCHEMA_KEYS.some((key) => key in d))) return details;
  return details.map((d) =>
    Object.fromEntries(Object.entries(d).filter(([key]) => !SCHEMA_KEYS.includes(key))),
  );
}

/** A 4xx DDD error as the client may read it. */
function clientFailure(error: LibrettoError, status: number, code: ErrorCode): HttpFailure {
  if (error.code.startsWith('DB_')) {
    return failure(status, code, DATABASE_MESSAGES[error.code] ?? DATABASE_MESSAGE);
  }
  return failure(status, code, error.message, clientDetails(error.details));
}

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
 * 500 with a safe message. 5xx answers never carry the error's own message or details; 4xx
 * answers to errors the database raised (`DB_*` codes) carry a fixed message and no details,
 * and no DDD error's details name a statement, table, constraint or SQLSTATE.
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
          : clientFailure(error, status, code);
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
