import type { FastifyRequest } from 'fastify';
import { setProviderHint } from '../di/provider-hint.js';
import { token } from '../di/token.js';

/** The current HTTP request: Fastify's request object. */
export type HttpRequest = FastifyRequest;

/**
 * DI token of the current HTTP request, supplied to every request scope: one name for the
 * token and for the type of what it resolves to.
 *
 * @example
 * provide(CurrentUser, {
 *   deps: [HttpRequest],
 *   use: (req: HttpRequest) => authenticate(req.headers.authorization),
 *   lifetime: 'request',
 * });
 */
export const HttpRequest = token<HttpRequest>('HttpRequest');
setProviderHint(HttpRequest, 'HttpService from libretto/http, in the scope of a request');
