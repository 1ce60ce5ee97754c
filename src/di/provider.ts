import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { type InjectionToken, type ResolvedAll, Token, tokenName } from './token.js';

/** How long a provided value lives: the whole application, or one unit of work. */
export type Lifetime = 'app' | 'request';

/** Releases a value when its scope closes; `error` is what made the scope close, if anything. */
export type Finalizer<T> = (value: T, error: unknown) => void | PromiseLike<void>;

type AnyFactory = (...args: never[]) => unknown;

/**
 * A registration in the container, made by {@link provide}. Opaque to users: build one with
 * `provide`, pass it to `Application` or `Container.build`.
 */
export interface Provider {
  readonly token: InjectionToken<unknown>;
  readonly lifetime: Lifetime;
  readonly deps: readonly InjectionToken<unknown>[];
  /** Builds the value from resolved dependencies; absent for constant values. */
  readonly factory: AnyFactory | undefined;
  readonly construct: boolean;
  /** The value is handed to each request scope by whoever opens it (`supply`). */
  readonly supplied: boolean;
  readonly value: unknown;
  readonly dispose: Finalizer<never> | undefined;
  readonly override: boolean;
  /** Who registered it (a service name), for diagnostics. */
  readonly source: string | undefined;
}

interface CommonOptions<T> {
  /** Runs when the owning scope closes, in reverse creation order. */
  readonly dispose?: Finalizer<T>;
  /** Replace an earlier provider of the same token instead of reporting a duplicate. */
  readonly override?: boolean;
}

/** A value built by a factory from the listed dependencies. */
export interface FactoryOptions<T, D extends readonly InjectionToken<unknown>[]>
  extends CommonOptions<T> {
  readonly deps?: D;
  /** Receives the dependencies in `deps` order; may be async. */
  readonly use: (...deps: ResolvedAll<D>) => NoInfer<T> | PromiseLike<NoInfer<T>>;
  /** Default `'app'`. */
  readonly lifetime?: Lifetime;
}

/** A ready-made value, app-scoped. */
export interface ValueOptions<T> extends CommonOptions<T> {
  readonly value: NoInfer<T>;
}

/** Options of {@link provideClass}. */
export interface ClassOptions<T> extends CommonOptions<T> {
  /** Default `'app'`. */
  readonly lifetime?: Lifetime;
}

/**
 * Registers how to obtain a value for a token. The compiler checks `deps` against the
 * factory's (or constructor's) parameters, position by position.
 *
 * @example
 * provide(Db, { value: db });
 * provide(Users, { deps: [Db, Logger], use: (db, log) => new UserRepository(db, log) });
 * provide(CurrentUser, { deps: [Request], use: authenticate, lifetime: 'request' });
 */
export function provide<T>(token: InjectionToken<T>, options: ValueOptions<T>): Provider;
export function provide<T, const D extends readonly InjectionToken<unknown>[] = []>(
  token: InjectionToken<T>,
  options: FactoryOptions<T, D>,
): Provider;
export function provide(
  token: InjectionToken<unknown>,
  options: {
    deps?: readonly InjectionToken<unknown>[];
    use?: AnyFactory;
    value?: unknown;
    lifetime?: Lifetime;
    dispose?: Finalizer<never>;
    override?: boolean;
  },
): Provider {
  const hasValue = 'value' in options;
  const name = tokenName(token);
  rejectUnknownKeys(`provide(${name})`, options, OPTION_KEYS);
  if (hasValue === (options.use !== undefined) || (hasValue && options.deps !== undefined)) {
    invalid(name, 'use', 'give either `value`, or `use` with `deps`');
  }
  if (hasValue && options.lifetime === 'request') {
    invalid(name, 'lifetime', 'a constant `value` is app-scoped');
  }
  if (
    options.lifetime !== undefined &&
    options.lifetime !== 'app' &&
    options.lifetime !== 'request'
  ) {
    invalid(name, 'lifetime', "must be 'app' or 'request'");
  }
  for (const [i, dep] of (options.deps ?? []).entries()) {
    if (typeof dep !== 'function' && !(dep instanceof Token)) {
      invalid(name, `deps[${i}]`, 'is not a token or class');
    }
  }
  return makeProvider(token, options.use, false, options);
}

/**
 * Registers a class constructed with the listed dependencies as its constructor
 * arguments; the compiler checks them against the constructor's parameters.
 *
 * @example
 * provideClass(UserService, [Users, Logger]);
 * provideClass(RequestContext, [], { lifetime: 'request' });
 */
export function provideClass<
  C extends new (
    ...args: ResolvedAll<D>
  ) => unknown,
  const D extends readonly InjectionToken<unknown>[] = [],
>(cls: C, deps?: D, options: ClassOptions<InstanceType<C>> = {}): Provider {
  return makeProvider(cls, cls as unknown as AnyFactory, true, { ...options, deps });
}

/**
 * Declares a request-scoped token whose value is handed to each request scope by whoever
 * opens it — the HTTP request, the message being consumed — so that providers can depend on
 * it and the graph is still validated. Supply it with `container.createScope(supply(T, v))`.
 *
 * @example
 * const HttpRequest = token<IncomingMessage>('HttpRequest');
 * const container = Container.build([
 *   supplied(HttpRequest),
 *   provide(CurrentUser, { deps: [HttpRequest], use: authenticate, lifetime: 'request' }),
 * ]);
 * await using scope = container.createScope(supply(HttpRequest, req));
 */
export function supplied(
  token: InjectionToken<unknown>,
  options: { override?: boolean } = {},
): Provider {
  return {
    ...makeProvider(token, undefined, false, { lifetime: 'request', ...options }),
    supplied: true,
  };
}

/** A value for a `supplied` token, given to `createScope`. */
export interface Supply {
  readonly token: InjectionToken<unknown>;
  readonly value: unknown;
}

/** Pairs a `supplied` token with its value for one request scope; the types must agree. */
export function supply<T>(token: InjectionToken<T>, value: NoInfer<T>): Supply {
  return { token, value };
}

function makeProvider(
  token: InjectionToken<unknown>,
  factory: AnyFactory | undefined,
  construct: boolean,
  options: {
    deps?: readonly InjectionToken<unknown>[] | undefined;
    value?: unknown;
    lifetime?: Lifetime;
    dispose?: Finalizer<never>;
    override?: boolean;
  },
): Provider {
  return {
    token,
    lifetime: options.lifetime ?? 'app',
    deps: options.deps ?? [],
    factory,
    construct,
    supplied: false,
    value: options.value,
    dispose: options.dispose,
    override: options.override ?? false,
    source: undefined,
  };
}

const OPTION_KEYS = new Set(['deps', 'use', 'value', 'lifetime', 'dispose', 'override']);

function invalid(token: string, path: string, message: string): never {
  return invalidOption(`provide(${token})`, path, message);
}

/** Marks providers with the name of whoever contributed them, for diagnostics. */
export function withSource(providers: readonly Provider[], source: string): Provider[] {
  return providers.map((p) => (p.source === undefined ? { ...p, source } : p));
}
