import type { DependencyGraph, Plan } from './dependency-graph.js';
import { DisposalError, ScopeError, UnknownDependencyError } from './di-errors.js';
import type { Supply } from './provider.js';
import { providerHint } from './provider-hint.js';
import { type InjectionToken, tokenName } from './token.js';

const EMPTY: unique symbol = Symbol('empty');
/** @internal What `close()` returns when there was nothing to wait for or finalize. */
export const CLOSED: Promise<void> = Promise.resolve();

/** A value still being created asynchronously; concurrent requests share its promise. */
class Pending {
  constructor(readonly promise: Promise<unknown>) {}
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Which provider's factory raised an error, for warmup diagnostics. */
const failedPlan = new WeakMap<object, Plan>();

/** The plan whose factory threw `error`, if the error came from a factory. */
export function planThatFailed(error: unknown): Plan | undefined {
  return typeof error === 'object' && error !== null ? failedPlan.get(error) : undefined;
}

/**
 * Holds the values of one lifetime: the app scope (one per container) or a request scope
 * (one per unit of work). Values are created on first `get`, at most once per scope even
 * under concurrent async resolution, and finalized in reverse creation order on `close()`.
 *
 * @example
 * await using scope = container.createScope();
 * const users = await scope.get(UserService);
 */
export class Scope implements AsyncDisposable {
  readonly #graph: DependencyGraph;
  readonly #root: Scope;
  readonly #isRoot: boolean;
  readonly #values: unknown[];
  // Flat [plan, value, plan, value, …] in creation order, only for values with a finalizer;
  // allocated on first use (most request scopes have none).
  #finalizers: unknown[] | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** @internal Created by `Container`; use `container.createScope()`. */
  constructor(graph: DependencyGraph, root?: Scope, supplies: readonly Supply[] = []) {
    this.#graph = graph;
    this.#isRoot = root === undefined;
    this.#root = root ?? this;
    this.#values = new Array(root === undefined ? graph.appSlots : graph.requestSlots).fill(EMPTY);
    if (root === undefined) {
      for (const plan of graph.appPlans) {
        if (plan.factory === undefined) this.#store(plan, plan.value);
      }
    }
    for (const { token, value } of supplies) {
      const plan = graph.plans.get(token);
      if (plan === undefined || !plan.supplied) {
        throw new ScopeError(
          `${tokenName(token)} cannot be supplied to a scope: declare it with supplied(${tokenName(token)})`,
          { code: 'DI_NOT_SUPPLIABLE' },
        );
      }
      this.#values[plan.slot] = value;
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the container has a provider for `token`. */
  has(token: InjectionToken<unknown>): boolean {
    return this.#graph.plans.has(token);
  }

  /**
   * Resolves `token` in this scope, creating it (and its dependencies) if needed.
   * Rejects with `UnknownDependencyError` for an unregistered token, and `ScopeError` for a
   * request-scoped token asked of the app scope or a closed scope.
   */
  get<T>(token: InjectionToken<T>): Promise<T> {
    try {
      const value = this.#lookup(token);
      return (value instanceof Pending ? value.promise : Promise.resolve(value)) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @internal Like `get`, but returns the value itself when it exists or its factory is
   * synchronous, sparing hot paths (one HTTP request) a promise per dependency. Throws
   * instead of rejecting.
   */
  getNow<T>(token: InjectionToken<T>): T | Promise<T> {
    const value = this.#lookup(token);
    return (value instanceof Pending ? value.promise : value) as T | Promise<T>;
  }

  #lookup(token: InjectionToken<unknown>): unknown {
    const plan = this.#graph.plans.get(token);
    if (plan === undefined) throw new UnknownDependencyError(tokenName(token), providerHint(token));
    if (this.#closed || this.#root.#closed) {
      const which = this.#closed ? 'scope' : 'container';
      throw new ScopeError(`Cannot resolve ${plan.name}: the ${which} is closed`, {
        code: 'DI_SCOPE_CLOSED',
      });
    }
    if (plan.request && this.#isRoot) {
      throw new ScopeError(
        `${plan.name} is request-scoped: resolve it from a request scope (container.createScope())`,
        { code: 'DI_REQUEST_SCOPED_FROM_APP' },
      );
    }
    return this.#resolve(plan);
  }

  /** Resolves `token` if it has a provider, else `undefined`. */
  getOptional<T>(token: InjectionToken<T>): Promise<T | undefined> {
    return this.has(token) ? this.get(token) : Promise.resolve(undefined);
  }

  /**
   * Runs the finalizers of every value this scope created, newest first, each receiving
   * `error` (what ended the unit of work, if anything). Every finalizer runs even if one
   * fails; failures are reported together in a `DisposalError`. Idempotent: every call
   * returns the same promise, settled when the finalizers have run.
   */
  close(error?: unknown): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#needsAsyncClose() ? this.#close(error) : CLOSED;
    return this.#closing;
  }

  /** Whether closing has anything to wait for or finalize (most request scopes do not). */
  #needsAsyncClose(): boolean {
    if (this.#finalizers !== undefined && this.#finalizers.length > 0) return true;
    for (const value of this.#values) if (value instanceof Pending) return true;
    return false;
  }

  async #close(error: unknown): Promise<void> {
    const inFlight = this.#values.filter((v): v is Pending => v instanceof Pending);
    if (inFlight.length > 0) await Promise.allSettled(inFlight.map((p) => p.promise));
    const fin = this.#finalizers ?? [];
    let failures: { dependency: string; error: unknown }[] | undefined;
    for (let i = fin.length - 2; i >= 0; i -= 2) {
      const plan = fin[i] as Plan;
      try {
        const done = (plan.dispose as NonNullable<Plan['dispose']>)(fin[i + 1], error);
        if (isThenable(done)) await done;
      } catch (failure) {
        failures ??= [];
        failures.push({ dependency: plan.name, error: failure });
      }
    }
    fin.length = 0;
    this.#values.fill(EMPTY);
    if (failures !== undefined) throw new DisposalError(failures);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Returns the value, or a `Pending` while it is created asynchronously. */
  #resolve(plan: Plan): unknown {
    const owner = plan.request ? this : this.#root;
    const current = owner.#values[plan.slot];
    return current !== EMPTY ? current : owner.#create(plan, this);
  }

  #create(plan: Plan, requester: Scope): unknown {
    if (plan.supplied) {
      throw new ScopeError(
        `${plan.name} was not supplied to this scope: open it with createScope(supply(${plan.name}, value))`,
        { code: 'DI_NOT_SUPPLIED' },
      );
    }
    const deps = plan.deps;
    const n = deps.length;
    const args = new Array<unknown>(n);
    let waiting = false;
    for (let i = 0; i < n; i++) {
      const value = requester.#resolve(deps[i] as Plan);
      if (value instanceof Pending) waiting = true;
      args[i] = value;
    }
    if (waiting) {
      const ready = Promise.all(args.map((a) => (a instanceof Pending ? a.promise : a)));
      return this.#defer(
        plan,
        ready.then((resolved) => this.#invoke(plan, resolved)),
      );
    }
    const result = this.#invoke(plan, args);
    if (isThenable(result)) return this.#defer(plan, Promise.resolve(result));
    this.#store(plan, result);
    return result;
  }

  #invoke(plan: Plan, args: unknown[]): unknown {
    try {
      const factory = plan.factory as (...a: unknown[]) => unknown;
      return plan.construct
        ? new (factory as unknown as new (...a: unknown[]) => unknown)(...args)
        : factory(...args);
    } catch (error) {
      markFailure(error, plan);
      throw error;
    }
  }

  #defer(plan: Plan, promise: Promise<unknown>): Pending {
    const pending = new Pending(
      promise.then(
        (value) => {
          this.#store(plan, value);
          return value;
        },
        (error: unknown) => {
          // Not cached: the next request tries again.
          if (this.#values[plan.slot] === pending) this.#values[plan.slot] = EMPTY;
          markFailure(error, plan);
          throw error;
        },
      ),
    );
    this.#values[plan.slot] = pending;
    return pending;
  }

  #store(plan: Plan, value: unknown): void {
    this.#values[plan.slot] = value;
    if (plan.dispose === undefined) return;
    this.#finalizers ??= [];
    this.#finalizers.push(plan, value);
  }
}

function markFailure(error: unknown, plan: Plan): void {
  if (typeof error === 'object' && error !== null && !failedPlan.has(error)) {
    failedPlan.set(error, plan);
  }
}
