import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as z from 'zod';
import type { Scope } from '../di/scope.js';
import type { InjectionToken, Resolved } from '../di/token.js';
import { invalidOption } from '../errors/invalid-option.js';
import type { Outcome, RawResponse } from './response.js';

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
> {
  /** Path parameters; strings are coerced to what the schema expects. */
  readonly params?: P;
  /** Query string; repeated keys become arrays; strings are coerced. */
  readonly query?: Q;
  /** JSON body (not on GET). */
  readonly body?: B;
  /** Request headers (lower-case names); strings are coerced. */
  readonly headers?: H;
  /** The `data` of a success response; checked in development, documented in OpenAPI. */
  readonly response?: R;
  /** Dependencies resolved from the request's scope, passed to the handler by name. */
  readonly inject?: I & { readonly [K in Reserved]?: never };
  /** Success status when the handler returns plain data. Default 200. */
  readonly status?: number;
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

type Data<R> = R extends z.ZodType ? z.input<R> : unknown;

/** What a handler may return: data (enveloped), an `Outcome`, a raw response, or the reply. */
export type HandlerResult<R> = Data<R> | Outcome<Data<R>> | RawResponse | FastifyReply;

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
    Injections
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
>(
  path: Path,
  options: M extends 'GET'
    ? RouteOptions<P, Q, undefined, H, R, I> & { readonly body?: never }
    : RouteOptions<P, Q, B, H, R, I>,
  handler: (
    context: HandlerContext<Path, P, Q, M extends 'GET' ? undefined : B, H, I>,
  ) => HandlerResult<NoInfer<R>> | Promise<HandlerResult<NoInfer<R>>>,
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
    return { method, path, options, handler };
  }) as Builder<M>;
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
