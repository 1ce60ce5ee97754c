import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';
import type { HttpMethod, Route } from './route.js';

/** The methods a route can declare, in the order `Allow` lists them. */
export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Registers, for each path of `routes`, a route for every method it does not answer, which
 * throws `405 METHOD_NOT_ALLOWED` with an `Allow` header listing the methods it does (`HEAD`
 * with `GET`). Decided once at start-up, so that a wrong method costs no lookup per request
 * and an unknown path stays a 404.
 */
export function registerMethodNotAllowed(app: FastifyInstance, routes: readonly Route[]): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const r of routes) {
    const methods = methodsByPath.get(r.path) ?? new Set();
    methods.add(r.method);
    methodsByPath.set(r.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const allowed = [...methods];
    if (methods.has('GET')) allowed.push('HEAD');
    const others = [...HTTP_METHODS, 'HEAD'].filter((m) => !allowed.includes(m));
    if (others.length === 0) continue;
    const allow = allowed.join(', ');
    app.route({
      method: others as HttpMethod[],
      url: path,
      handler: async (request) => {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, {
          headers: { allow },
          details: [{ method: request.method, allowed }],
        });
      },
    });
  }
}
