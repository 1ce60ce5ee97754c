import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { LibrettoError } from '../errors/libretto-error.js';
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
  return (error, request, reply) => {
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
