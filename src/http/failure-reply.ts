import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { LibrettoError } from '../errors/libretto-error.js';
import { UsageError } from '../errors/usage-error.js';
import { errorEnvelope } from './envelope.js';
import { toHttpFailure } from './error-mapping.js';

/** Answers a request with the envelope of what went wrong. */
export type FailureReply = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * The error handler of an `HttpService`: maps what was thrown with `toHttpFailure` and
 * sends its envelope. An error that is the server's fault — a `UsageError`, any
 * `LibrettoError` outside the DDD table, a DDD class answered with a 5xx, anything that is
 * not a `LibrettoError` — is logged at `error` with the request id and the error's code and
 * message, and its answer carries the request id so that a client can quote it. An
 * `HttpError` is the handler's chosen answer: sent as given, not logged.
 */
export function failureReply(log: Logger): FailureReply {
  return (thrown, request, reply) => {
    const error = serializationFailure(thrown) ?? thrown;
    const failure = toHttpFailure(error);
    let requestId: string | undefined;
    if (failure.internal) {
      requestId = request.id;
      log.error(
        {
          err: error,
          reqId: request.id,
          code: error instanceof LibrettoError ? error.code : undefined,
          method: request.method,
          url: request.url,
        },
        'request failed',
      );
    }
    void reply
      .code(failure.status)
      .header('x-request-id', request.id)
      .headers(failure.headers)
      .send(errorEnvelope(failure.code, failure.message, failure.details, requestId));
  };
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
 * The not-found handler: `404 ROUTE_NOT_FOUND` with the method and path in `details`. Sent
 * directly, not thrown: a scanner's stream of 404s costs no error object (and stack) each.
 */
export function routeNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  void reply
    .code(404)
    .header('x-request-id', request.id)
    .send(
      errorEnvelope('ROUTE_NOT_FOUND', `No route for ${request.method} ${path}`, [
        { method: request.method, path },
      ]),
    );
}
