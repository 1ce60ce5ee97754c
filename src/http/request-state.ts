import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { type Supply, supply } from '../di/provider.js';
import { CLOSED, type Scope } from '../di/scope.js';
import { HttpRequest } from './http-request.js';

/** What a request's state needs from its service: opening scopes, and a log for failures. */
export interface ScopeOpener {
  createScope(...supplies: Supply[]): Scope;
  readonly log: Logger;
}

const STATE = Symbol('libretto.requestState');
type TrackedResponse = ServerResponse & { [STATE]?: RequestState | undefined };

/** Closes the request scope once the response is done or the client went away. */
function closeRequestScope(this: TrackedResponse): void {
  const state = this[STATE];
  this[STATE] = undefined;
  state?.closeScope();
}

/**
 * The state of one request while its route runs: the request and reply, the validated
 * inputs, the injected dependencies (set on it by name), and the request's DI scope, opened
 * on first use and closed once the response is done. The handler receives it as its
 * `HandlerContext` argument. A class, not an object literal, so every request shares
 * one shape and no closures are allocated.
 */
export class RequestState {
  params: unknown = undefined;
  query: unknown = undefined;
  body: unknown = undefined;
  headers: unknown = undefined;
  /** What ended the request, handed to the scope's finalizers. */
  failure: unknown = undefined;
  readonly #opener: ScopeOpener;
  #scope: Scope | undefined = undefined;
  #settled = false;

  constructor(
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    opener: ScopeOpener,
  ) {
    this.#opener = opener;
  }

  /** The request's DI scope, closed after the response is sent (also on error). */
  get scope(): Scope {
    if (this.#scope === undefined) {
      this.#scope = this.#opener.createScope(supply(HttpRequest, this.request));
      if (this.#settled) this.#closeOnResponseEnd();
    }
    return this.#scope;
  }

  /**
   * @internal Called once the handler is done: closes the scope now when the response has
   * already gone out (the usual synchronous case, sparing a listener per request), else
   * when the response ends or the client goes away.
   */
  settle(): void {
    this.#settled = true;
    if (this.#scope === undefined) return;
    if (this.reply.sent) this.closeScope();
    else this.#closeOnResponseEnd();
  }

  #closeOnResponseEnd(): void {
    const raw = this.reply.raw as TrackedResponse;
    raw[STATE] = this;
    raw.on('close', closeRequestScope);
  }

  /** @internal */
  closeScope(): void {
    const closing = this.#scope?.close(this.failure);
    if (closing === undefined || closing === CLOSED) return;
    closing.catch((error: unknown) => {
      this.#opener.log.error(
        { err: error, reqId: this.request.id },
        'closing the request scope failed',
      );
    });
  }
}
