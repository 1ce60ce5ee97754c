import type { Container } from '../di/container.js';
import type { Provider, Supply } from '../di/provider.js';
import type { Requirement } from '../di/requirement.js';
import type { Scope } from '../di/scope.js';
import type { InjectionToken } from '../di/token.js';
import { UsageError } from '../errors/usage-error.js';
import type { Logger } from './logger.js';

/** What an application gives each of its services when it starts. */
export interface ServiceContext {
  readonly container: Container;
  readonly logger: Logger;
  /** Aborted when the application begins to stop. */
  readonly signal: AbortSignal;
  readonly requestStop: (error?: unknown) => void;
}

const context = new WeakMap<Service, ServiceContext>();

/** @internal Called by `Application` before `start()`. */
export function attachService(service: Service, ctx: ServiceContext): void {
  context.set(service, ctx);
}

/**
 * A unit of functionality with a lifecycle: an HTTP server, a worker, a pool owner.
 * The application starts services in order and stops them in reverse; a service may
 * contribute DI providers.
 *
 * @example
 * class Mailer extends Service {
 *   override providers() { return [provide(MailClient, { use: () => new MailClient() })]; }
 *   override async start() { this.client = await this.getDependency(MailClient); }
 *   override async stop(error?: unknown) { await this.client.flush(); }
 * }
 */
export abstract class Service {
  /** Used in logs and error messages. Default: the class name. */
  readonly name: string;

  constructor(name?: string) {
    this.name = name ?? new.target.name;
  }

  /** Called once, in application order. Throwing stops the already-started services. */
  start(): void | Promise<void> {}

  /**
   * Called once, in reverse application order, also when another service failed to start.
   * `error` is what caused the shutdown, if anything.
   */
  stop(_error?: unknown): void | Promise<void> {}

  /**
   * Whether this service can serve: throw (or reject) when not, e.g. when its database is
   * unreachable. Feeds the application's readiness (HTTP `/ready`). Default: healthy.
   */
  checkHealth(): void | Promise<void> {}

  /** DI providers this service contributes to the application's container. */
  providers(): readonly Provider[] {
    return [];
  }

  /**
   * Tokens this service will resolve from request scopes it opens (an HTTP route's
   * `inject`), checked when the application starts: a missing provider stops the start
   * with the requirement's path in the chain. Default: none.
   */
  requires(): readonly Requirement[] {
    return [];
  }

  /** Resolves an app-scoped dependency from the application's container. */
  getDependency<T>(token: InjectionToken<T>): Promise<T> {
    return this.#context().container.get(token);
  }

  /** Resolves an app-scoped dependency if one is registered, else `undefined`. */
  getOptionalDependency<T>(token: InjectionToken<T>): Promise<T | undefined> {
    return this.#context().container.getOptional(token);
  }

  /**
   * Opens a request scope for one unit of work (`await using scope = this.createScope()`),
   * optionally supplying values (`supply(Message, msg)`).
   */
  createScope(...supplies: Supply[]): Scope {
    return this.#context().container.createScope(...supplies);
  }

  /** This service's logger: the application's, with `service` bound to its name. */
  protected get logger(): Logger {
    return this.#context().logger;
  }

  /** Aborted when the application begins to stop: long-running loops watch it. */
  protected get signal(): AbortSignal {
    return this.#context().signal;
  }

  /** Asks the application to stop; `error` (a fatal failure) is passed to every `stop`. */
  protected requestStop(error?: unknown): void {
    this.#context().requestStop(error);
  }

  #context(): ServiceContext {
    const ctx = context.get(this);
    if (ctx === undefined) {
      throw new UsageError(`Service ${this.name} is not attached to a running Application`, {
        code: 'SERVICE_NOT_ATTACHED',
      });
    }
    return ctx;
  }
}
