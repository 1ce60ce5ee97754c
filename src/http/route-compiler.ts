import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as z from 'zod';
import type { Logger } from '../core/logger.js';
import type { InjectionToken } from '../di/token.js';
import { UsageError } from '../errors/usage-error.js';
import { successEnvelope } from './envelope.js';
import { logServerError } from './failure-reply.js';
import { inputParser } from './input-parser.js';
import { RequestState, type ScopeOpener } from './request-state.js';
import { Outcome, RawResponse } from './response.js';
import { type Route, statusesOf } from './route.js';

/** A compiled route: Fastify's handler for it. */
export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/** What the compiler needs from the service. */
export interface RouteCompilerOptions {
  /** Check each result against the route's `response` schema (besides serializing it). */
  readonly validateResponses: boolean;
  /** Opens request scopes for routes that inject something or read `scope`. */
  readonly opener: ScopeOpener;
}

/**
 * Sets each injected dependency on the request state; returns a promise only when some are
 * created asynchronously.
 */
function inject(
  state: RequestState,
  names: readonly string[],
  tokens: readonly InjectionToken<unknown>[],
): Promise<void> | undefined {
  const scope = state.scope;
  const target = state as unknown as Record<string, unknown>;
  let pending: Promise<void>[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const name = names[i] as string;
    const value = scope.getNow(tokens[i] as InjectionToken<unknown>);
    if (value instanceof Promise) {
      pending ??= [];
      pending.push(
        value.then((resolved) => {
          target[name] = resolved;
        }),
      );
    } else {
      target[name] = value;
    }
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}

function isStream(value: unknown): value is NodeJS.ReadableStream {
  return typeof (value as { pipe?: unknown } | null)?.pipe === 'function';
}

/**
 * Logs a stream body that fails after its headers went out, with the request id: the
 * answer can no longer become a 500 (the connection is cut), and Fastify's own line goes to
 * its logger, which is off. A failure before that is answered by the error handler.
 */
function logStreamFailure(body: NodeJS.ReadableStream, reply: FastifyReply, log: Logger): void {
  body.once('error', (error: unknown) => {
    if (reply.raw.headersSent) logServerError(log, error, reply.request, 'response stream failed');
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Prepares, once per route at start-up, everything the route does per request — the
 * parsers of its inputs, its injections, its success status and response check — and
 * returns Fastify's handler: it parses the inputs, injects the dependencies, calls the
 * handler and sends the envelope (or what the handler answered itself), then closes the
 * request scope. What it throws goes to the service's error handler.
 */
export function compileRoute(r: Route, options: RouteCompilerOptions): RouteHandler {
  const o = r.options;
  const parseParams = inputParser('path', o.params);
  const parseQuery = inputParser('query', o.query);
  const parseBody = inputParser('body', o.body);
  const parseHeaders = inputParser('headers', o.headers);
  const injections = Object.entries(o.inject ?? {});
  const names = injections.map(([name]) => name);
  const tokens = injections.map(([, t]) => t);
  let validate = o.response !== undefined && options.validateResponses ? o.response : undefined;
  const where = `${r.method} ${r.path}`;
  const statuses: readonly number[] = statusesOf(`route ${where}`, o.status);
  const status = statuses[0] as number;
  const handler = r.handler as (state: RequestState) => unknown;
  const opener = options.opener;

  /** In development: the result must be a value of the schema's output type. */
  const check = (data: unknown): void => {
    let checked: ReturnType<z.ZodType['safeEncode']>;
    try {
      checked = (validate as z.ZodType).safeEncode(data);
    } catch {
      // A one-way `.transform()` cannot be checked from its output: the serializer alone is.
      validate = undefined;
      return;
    }
    if (!checked.success) {
      throw new UsageError(
        `${where}: the handler's result does not match the response schema: ${checked.error.message}`,
        { code: 'RESPONSE_SCHEMA_MISMATCH', details: [{ route: where }] },
      );
    }
  };

  /** The reply for what the handler returned (the envelope unless it answered itself). */
  const respond = (reply: FastifyReply, result: unknown): unknown => {
    if (result === reply) return reply;
    if (result instanceof RawResponse) {
      if (isStream(result.body)) logStreamFailure(result.body, reply, opener.log);
      return reply.code(result.status).headers(result.headers).send(result.body);
    }
    const outcome = result instanceof Outcome ? result : undefined;
    const data = outcome === undefined ? result : outcome.data;
    const code = outcome?.status ?? status;
    if (outcome !== undefined && code !== status && !statuses.includes(code)) {
      throw new UsageError(
        `${where}: the handler answered ${code}, a status the route does not declare (status: [${statuses.join(', ')}])`,
        { code: 'UNDECLARED_STATUS', details: [{ route: where, status: code }] },
      );
    }
    if (outcome !== undefined) reply.headers(outcome.headers);
    if (code === 204) return reply.code(204).send();
    if (validate !== undefined) check(data);
    reply.code(code);
    return successEnvelope(data);
  };

  /**
   * Sends the envelope itself, so that the request scope can close right after; returns
   * the reply for Fastify to wait on when the response is still going (a stream).
   */
  const finish = (state: RequestState, result: unknown): FastifyReply | undefined => {
    const reply = state.reply;
    const payload = respond(reply, result);
    if (payload !== reply) reply.send(payload);
    state.settle();
    return reply.sent ? undefined : reply;
  };

  /** The path for asynchronous dependencies or handlers. */
  const finishLater = async (
    state: RequestState,
    injected: Promise<void> | undefined,
    pending: PromiseLike<unknown> | undefined,
  ): Promise<unknown> => {
    try {
      if (injected !== undefined) await injected;
      return finish(state, await (pending ?? handler(state)));
    } catch (error) {
      state.failure = error;
      state.settle();
      throw error;
    }
  };

  // Synchronous until something is asynchronous: sparing the promises and microtask hops
  // of an async function per request.
  return function handle(request, reply) {
    reply.header('x-request-id', request.id);
    const state = new RequestState(request, reply, opener);
    try {
      state.params = parseParams === undefined ? request.params : parseParams(request.params);
      state.query = parseQuery === undefined ? request.query : parseQuery(request.query);
      state.body = parseBody === undefined ? request.body : parseBody(request.body);
      state.headers = parseHeaders === undefined ? request.headers : parseHeaders(request.headers);
      const injected = tokens.length === 0 ? undefined : inject(state, names, tokens);
      if (injected !== undefined) return finishLater(state, injected, undefined);
      const result = handler(state);
      if (result !== reply && isThenable(result)) return finishLater(state, undefined, result);
      return finish(state, result);
    } catch (error) {
      state.failure = error;
      state.settle();
      throw error;
    }
  };
}
