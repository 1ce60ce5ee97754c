import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as z from 'zod';
import type { Scope } from '../di/scope.js';
import type { InjectionToken, Resolved } from '../di/token.js';
import { invalidOption } from '../errors/invalid-option.js';
import { isSuccessStatus, type Outcome, type RawResponse, type SuccessStatus } from './response.js';

/** HTTP methods a route can answer. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The `:name` parameters of a path pattern, as a union of names. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** Dependencies a handler asks for, by the name it receives them under. */
export type Injections = Readonly<Record<string, InjectionToken<unknown>>>;

const RESERVED = ['params', 'query', 'body', 'headers', 'request', 'reply', 'scope'] as const;
type Reserved = (typeof RESERVED)[number];

/** What a route declares besides its method, path and handler. */
export interface RouteOptions<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
  I extends Injections = Record<never, never>,
  S extends SuccessStatus = 200,
> {
  /** Path parameters; strings are coerced to what the schema expects. */
  readonly params?: P;
  /** Query string; repeated keys become arrays; strings are coerced. */
  readonly query?: Q;
  /** JSON body (not on GET). */
  readonly body?: B;
  /** Request headers (lower-case names); strings are coerced. */
  readonly headers?: H;
  /**
   * The `data` of a success response: what the handler returns (the schema's output type),
   * what is sent (serialized from the schema: fields it does not declare never leave the
   * process) and what OpenAPI documents. Checked against the schema in development.
   */
  readonly response?: R;
  /** Dependencies resolved from the request's scope, passed to the handler by name. */
  readonly inject?: I & { readonly [K in Reserved]?: never };
  /**
   * The success statuses the route answers, each documented in OpenAPI: the first when the
   * handler returns plain data, the others through `created()`, `accepted()`, `noContent()`
   * or `withStatus()` (whose status the handler's type must find here). Default 200.
   */
  readonly status?: S | readonly [S, ...S[]];
  /**
   * Error statuses the handler itself may produce (e.g. `[404, 409]`), documented in
   * OpenAPI besides those Libretto infers from the schemas (400, 413, 415, 422, 500).
   */
  readonly errors?: readonly number[];
  readonly tags?: readonly string[];
  readonly summary?: string;
  readonly description?: string;
  readonly operationId?: string;
  readonly deprecated?: boolean;
}

type Out<S, Default> = S extends z.ZodType ? z.output<S> : Default;

/** What a handler receives: the parsed request and its injected dependencies. */
export type HandlerContext<
  Path extends string,
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  B extends z.ZodType | undefined,
  H extends z.ZodType | undefined,
  I extends Injections,
> = {
  readonly params: Out<P, { readonly [K in PathParams<Path>]: string }>;
  readonly query: Out<Q, Readonly<Record<string, string | string[] | undefined>>>;
  readonly body: Out<B, undefined>;
  readonly headers: Out<H, FastifyRequest['headers']>;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The request's DI scope, closed after the response is sent. */
  readonly scope: Scope;
} & { readonly [K in keyof I]: Resolved<I[K]> };

type Data<R> = R extends z.ZodType ? z.output<R> : unknown;

/**
 * What a handler may return: data in the response schema's output type (enveloped), an
 * `Outcome` with one of the route's statuses, a raw response, or the reply.
 */
export type HandlerResult<R, S extends SuccessStatus = SuccessStatus> =
  | Data<R>
  | Outcome<Data<R>, S>
  | (204 extends S ? Outcome<undefined, 204> : never)
  | RawResponse
  | FastifyReply;

/** A declared route; pass routes to `HttpService({ routes })`. */
export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  readonly options: RouteOptions<
    z.ZodType | undefined,
    z.ZodType | undefined,
    z.ZodType | undefined,
    z.ZodType | undefined,
    z.ZodType | undefined,
    Injections,
    SuccessStatus
  >;
  readonly handler: (context: never) => unknown;
}

type Builder<M extends HttpMethod> = <
  Path extends string,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
  I extends Injections = Record<never, never>,
  S extends SuccessStatus = 200,
>(
  path: Path,
  options: M extends 'GET'
    ? RouteOptions<P, Q, undefined, H, R, I, S> & { readonly body?: never }
    : RouteOptions<P, Q, B, H, R, I, S>,
  handler: (
    context: HandlerContext<Path, P, Q, M extends 'GET' ? undefined : B, H, I>,
  ) => HandlerResult<NoInfer<R>, NoInfer<S>> | Promise<HandlerResult<NoInfer<R>, NoInfer<S>>>,
) => Route;

function builder<M extends HttpMethod>(method: M): Builder<M> {
  return ((path: string, options: Route['options'], handler: Route['handler']) => {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      invalidOption(`route.${method.toLowerCase()}`, 'path', 'must start with "/"');
    }
    for (const key of Object.keys(options.inject ?? {})) {
      if ((RESERVED as readonly string[]).includes(key)) {
        invalidOption(
          `route ${method} ${path}`,
          `inject.${key}`,
          "clashes with the context's own field",
        );
      }
    }
    statusesOf(`route ${method} ${path}`, options.status);
    return { method, path, options, handler };
  }) as Builder<M>;
}

/**
 * The success statuses a route declared, checked (2xx, no repeats, 204 only with nothing
 * to send), the first being the plain data's.
 */
export function statusesOf(where: string, status: unknown): readonly SuccessStatus[] {
  const list: readonly unknown[] =
    status === undefined ? [200] : Array.isArray(status) ? status : [status];
  if (list.length === 0) invalidOption(where, 'status', 'lists no status');
  for (const [i, s] of list.entries()) {
    if (!isSuccessStatus(s)) {
      invalidOption(
        where,
        Array.isArray(status) ? `status[${i}]` : 'status',
        `${String(s)} is not a success status (2xx)`,
      );
    }
    if (list.indexOf(s) !== i) invalidOption(where, `status[${i}]`, `${s} is listed twice`);
  }
  return list as readonly SuccessStatus[];
}

/**
 * Declares routes. The handler's context is typed from the schemas: `params`, `query`,
 * `body`, `headers` are the parsed values, and each `inject` key is the resolved dependency.
 *
 * @example
 * const getUser = route.get('/users/:id', {
 *   params: z.object({ id: z.uuid() }),
 *   response: User,
 *   inject: { users: Users },
 * }, ({ params, users }) => users.get(params.id));
 */
export const route = {
  get: builder('GET'),
  post: builder('POST'),
  put: builder('PUT'),
  patch: builder('PATCH'),
  delete: builder('DELETE'),
} as const;
