import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { LibrettoError } from '../errors/libretto-error.js';
import { UsageError } from '../errors/usage-error.js';
import { keepOpenAfterBodyError } from './body-drain.js';
import { errorEnvelope } from './envelope.js';
import { toHttpFailure } from './error-mapping.js';
import { HttpError } from './http-error.js';
import { logRefused } from './raw-answer.js';

/** Answers a request with the envelope of what went wrong. */
export type FailureReply = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * The error handler of an `HttpService`: maps what was thrown with `toHttpFailure` and
 * sends its envelope. An error that is the server's fault — a `UsageError`, any
 * `LibrettoError` outside the DDD table, a DDD class answered with a 5xx, anything that is
 * not a `LibrettoError` — is logged at `error` with the request id and the error's code and
 * message, and its answer carries the request id so that a client can quote it. A client's
 * mistake (a 4xx) is one `debug` line with the request id, status and code — and the error
 * itself for a DDD error, whose details the answer may have withheld (a database's
 * statement, table, SQLSTATE). A refused body (413, 415, bad JSON) leaves the connection
 * open, drained, so that the client reads the answer.
 */
export function failureReply(log: Logger): FailureReply {
  return (thrown, request, reply) => {
    const error = serializationFailure(thrown) ?? thrown;
    const failure = toHttpFailure(error);
    let requestId: string | undefined;
    if (failure.internal) {
      requestId = request.id;
      logServerError(log, error, request, 'request failed');
    } else {
      logRefused(log, request.id, failure.status, failure.code, {
        method: request.method,
        url: request.url,
        ...(error instanceof LibrettoError && !(error instanceof HttpError) ? { err: error } : {}),
      });
      // Fastify asks to close after a body it refused: see keepOpenAfterBodyError.
      if (reply.getHeader('connection') === 'close') keepOpenAfterBodyError(request.raw, reply);
    }
    // A stream that failed before its first byte left its headers (a text content type) on
    // the raw response, where Fastify puts a stream's: the envelope must not go out with them.
    for (const name of reply.raw.getHeaderNames()) reply.raw.removeHeader(name);
    void reply
      .code(failure.status)
      .header('x-request-id', request.id)
      .headers(failure.headers)
      .send(errorEnvelope(failure.code, failure.message, failure.details, requestId));
  };
}

/** The longest part of a path quoted back in a 404: a scanner's megabyte path is not echoed. */
const QUOTED_PATH_LENGTH = 100;

/** Methods a route can answer (`OPTIONS` with none): any other is `UNSUPPORTED_METHOD`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The `error` line of a failure that is the server's: the error, its code, the request id. */
export function logServerError(
  log: Logger,
  error: unknown,
  request: FastifyRequest,
  message: string,
): void {
  log.error(
    {
      err: error,
      reqId: request.id,
      code: error instanceof LibrettoError ? error.code : undefined,
      method: request.method,
      url: request.url,
    },
    message,
  );
}

/**
 * What Fastify reports when a route's serializer could not write the handler's data (a
 * required field missing, a value of another type): the handler's mistake, said as such.
 */
function serializationFailure(error: unknown): UsageError | undefined {
  if (error instanceof LibrettoError || typeof error !== 'object' || error === null) return;
  const route = (error as { serialization?: { method?: unknown; url?: unknown } }).serialization;
  if (route === undefined) return;
  const where = `${String(route.method)} ${String(route.url)}`;
  const why = error instanceof Error ? error.message : String(error);
  return new UsageError(
    `${where}: the handler's result cannot be sent as its response schema says: ${why}`,
    { code: 'RESPONSE_SCHEMA_MISMATCH', details: [{ route: where }], cause: error },
  );
}

/**
 * The not-found handler: `404 ROUTE_NOT_FOUND` with the method and path (its first 100
 * characters and `…`) in the message and `details`; a method no route answers (`PROPFIND`,
 * `TRACE`) is `400 UNSUPPORTED_METHOD` instead. Logged at `debug`. Sent directly, not
 * thrown: a scanner's stream of 404s costs no error object (and stack) each.
 */
export function notFoundReply(log: Logger): (request: FastifyRequest, reply: FastifyReply) => void {
  return (request, reply) => {
    const full = request.url.split('?')[0] ?? '';
    const path = full.length > QUOTED_PATH_LENGTH ? `${full.slice(0, QUOTED_PATH_LENGTH)}…` : full;
    const known = KNOWN_METHODS.has(request.method);
    const status = known ? 404 : 400;
    const code = known ? 'ROUTE_NOT_FOUND' : 'UNSUPPORTED_METHOD';
    logRefused(log, request.id, status, code, { method: request.method });
    void reply
      .code(status)
      .header('x-request-id', request.id)
      .send(
        errorEnvelope(
          code,
          known ? `No route for ${request.method} ${path}` : `${request.method} is not supported`,
          [{ method: request.method, path }],
        ),
      );
  };
}
