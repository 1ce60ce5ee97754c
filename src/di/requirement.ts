import type { InjectionToken } from './token.js';

/**
 * A token that code outside any provider will resolve from a scope at run time — an HTTP
 * route's `inject`, a worker's per-message dependencies. A container checks requirements at
 * build like a provider's dependencies, so a missing provider stops the start, with `path`
 * at the head of the chain (`GET /users/:id -> inject.users -> Users -> Database`).
 *
 * @example
 * override requires() { return [{ token: Users, path: ['GET /users/:id', 'inject.users'] }]; }
 */
export interface Requirement {
  readonly token: InjectionToken<unknown>;
  /** Who needs it, outermost first, e.g. `['GET /users/:id', 'inject.users']`. */
  readonly path: readonly string[];
}
