import { compileGraph, type DependencyGraph } from './dependency-graph.js';
import { DependencyCreationError } from './di-errors.js';
import type { Provider, Supply } from './provider.js';
import type { Requirement } from './requirement.js';
import { planThatFailed, Scope } from './scope.js';
import type { InjectionToken } from './token.js';

/**
 * The application's one DI container: a validated graph of providers, the app scope that
 * holds app-lifetime values, and a factory for request scopes.
 *
 * @example
 * const container = Container.build([provide(Db, { value: db }), provide(Users, { deps: [Db] })]);
 * await using scope = container.createScope();
 * const users = await scope.get(Users);
 * await container.close();
 */
export class Container implements AsyncDisposable {
  readonly #graph: DependencyGraph;
  readonly #app: Scope;

  private constructor(graph: DependencyGraph) {
    this.#graph = graph;
    this.#app = new Scope(graph);
  }

  /**
   * Validates `providers` and builds the container. Throws a `DependencyGraphError` listing
   * every problem at once: duplicates without `override: true`, missing providers, cycles,
   * and app-scoped providers that depend on request-scoped ones. `requirements` are tokens
   * code will resolve from its scopes (a route's `inject`): checked like dependencies, with
   * their path at the head of the chain.
   */
  static build(
    providers: readonly Provider[],
    requirements: readonly Requirement[] = [],
  ): Container {
    return new Container(compileGraph(providers, requirements));
  }

  /** The app scope: values that live as long as the container. */
  get app(): Scope {
    return this.#app;
  }

  /** Whether a provider is registered for `token`. */
  has(token: InjectionToken<unknown>): boolean {
    return this.#graph.plans.has(token);
  }

  /** Resolves an app-scoped `token`. */
  get<T>(token: InjectionToken<T>): Promise<T> {
    return this.#app.get(token);
  }

  /** Resolves `token` if registered, else `undefined`. */
  getOptional<T>(token: InjectionToken<T>): Promise<T | undefined> {
    return this.#app.getOptional(token);
  }

  /**
   * Opens a request scope for one unit of work; close it with `await using` or `close()`.
   * `supplies` hand it the values of `supplied` tokens (`supply(HttpRequest, req)`).
   */
  createScope(...supplies: Supply[]): Scope {
    return new Scope(this.#graph, this.#app, supplies);
  }

  /**
   * Creates every app-scoped value now, in registration order, so that failures surface
   * before traffic. A failing factory is reported as a `DependencyCreationError` naming it.
   */
  async warmup(): Promise<void> {
    for (const plan of this.#graph.appPlans) {
      try {
        await this.#app.get(plan.token);
      } catch (error) {
        const failed = planThatFailed(error);
        throw new DependencyCreationError(failed?.name ?? plan.name, error, plan.name);
      }
    }
  }

  /** Closes the app scope: app-lifetime finalizers run, newest first. */
  close(error?: unknown): Promise<void> {
    return this.#app.close(error);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
