import { constants } from 'node:os';
import { Container } from '../di/container.js';
import { type Provider, provide, withSource } from '../di/provider.js';
import { DeadlineExceededError } from '../errors/infrastructure-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { UsageError } from '../errors/usage-error.js';
import { Health } from './health.js';
import { ShutdownError, StartupError } from './lifecycle-errors.js';
import { createLogger, Logger, type LoggerOptions } from './logger.js';
import { attachService, Service } from './service.js';
import { reportStartupFailure } from './startup-failure.js';

/** Options of an {@link Application}, given after its services. */
export interface ApplicationOptions {
  /** Providers of the application itself, beside those its services contribute. */
  readonly providers?: readonly Provider[];
  /** Create every app-scoped dependency before services start. Default `true`. */
  readonly warmup?: boolean;
  /** Milliseconds `stop()` may take before it fails with `DeadlineExceededError`. Default 30 000. */
  readonly shutdownTimeout?: number;
  /**
   * Milliseconds one service's `stop()` may take; past it the failure is recorded and the
   * services started before it are stopped anyway (the pool still closes). Default 10 000.
   */
  readonly serviceStopTimeout?: number;
  /** A pino logger, or options for the default one. */
  readonly logger?: Logger | LoggerOptions;
}

/** Options of {@link Application.run}. */
export interface RunOptions {
  /** Signals that stop the application; a second one forces exit. Default SIGINT, SIGTERM. */
  readonly signals?: readonly NodeJS.Signals[];
}

/** Where an application is in its life. */
export type ApplicationState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

function isLogger(value: unknown): value is Logger {
  return typeof (value as Logger | undefined)?.child === 'function';
}

const OPTION_KEYS = new Set([
  'providers',
  'warmup',
  'shutdownTimeout',
  'serviceStopTimeout',
  'logger',
]);
const MAX_TIMER_MS = 2_147_483_647;

function invalid(path: string, message: string): never {
  return invalidOption('Application', path, message);
}

/** A timer length in milliseconds: Node clamps longer ones to 1 ms, which would fail every stop at once. */
function checkTimeout(key: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    invalid(`options.${key}`, `must be between 1 and ${MAX_TIMER_MS} milliseconds`);
  }
  return ms;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An application: services with a lifecycle, wired by one DI container.
 *
 * `run()` is the process entrypoint: it starts the services in order, waits for SIGINT or
 * SIGTERM (or `stop()`), stops them in reverse and exits — 0 after a clean stop, 1 after a
 * failure. `start()` and `stop()` are for embedding and tests.
 *
 * @example
 * new Application(new ConfigService(), new Worker(), { providers: [provide(Clock, { value: Date })] }).run();
 */
export class Application {
  readonly services: readonly Service[];
  readonly logger: Logger;
  readonly #providers: readonly Provider[];
  readonly #warmup: boolean;
  readonly #shutdownTimeout: number;
  readonly #serviceStopTimeout: number;
  #state: ApplicationState = 'idle';
  #container: Container | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #started: Service[] = [];
  /** The service whose start or stop is in progress, for the shutdown-deadline message. */
  #busy: { service: string; phase: 'starting' | 'stopping' } | undefined;
  readonly #abort = new AbortController();
  #onStopRequest: ((error: unknown) => void) | undefined;

  constructor(...args: [...services: Service[], options: ApplicationOptions] | Service[]) {
    const last = args.at(-1);
    const hasOptions = last !== undefined && !(last instanceof Service);
    const options: ApplicationOptions = hasOptions ? (last as ApplicationOptions) : {};
    const services = (hasOptions ? args.slice(0, -1) : args) as unknown[];
    for (const [i, service] of services.entries()) {
      if (!(service instanceof Service)) invalid(`services[${i}]`, 'is not a Service');
      if (services.indexOf(service) !== i)
        invalid(`services[${i}]`, `${service.name} is listed twice`);
    }
    rejectUnknownKeys('Application', options, OPTION_KEYS, 'options.');
    const timeout = checkTimeout('shutdownTimeout', options.shutdownTimeout ?? 30_000);
    this.#serviceStopTimeout = checkTimeout(
      'serviceStopTimeout',
      options.serviceStopTimeout ?? 10_000,
    );
    this.services = services as Service[];
    this.#providers = options.providers ?? [];
    this.#warmup = options.warmup ?? true;
    this.#shutdownTimeout = timeout;
    this.logger = isLogger(options.logger) ? options.logger : createLogger(options.logger);
  }

  get state(): ApplicationState {
    return this.#state;
  }

  /** The DI container; available once `start()` has begun. */
  get container(): Container {
    if (this.#container === undefined) {
      throw new UsageError('The application has no container before start()', {
        code: 'APP_NOT_STARTED',
      });
    }
    return this.#container;
  }

  /**
   * Builds the container (reporting every DI problem at once), warms it up, then starts the
   * services in order. If one fails, those already started are stopped in reverse, receiving
   * the error, and `start()` rejects with a `StartupError` naming the service. A `stop()`
   * meanwhile makes it start nothing more and resolve; `stop()` then stops what started.
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') {
      return Promise.reject(
        new UsageError(`Cannot start: application is ${this.#state}`, {
          code: 'APP_ALREADY_STARTED',
        }),
      );
    }
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const began = performance.now();
    let container: Container;
    try {
      // The application's own providers come last, so an `override: true` there replaces
      // what a service contributed (e.g. a test double).
      container = Container.build(
        [
          provide(Logger, { value: this.logger }),
          provide(Health, {
            value: new Health(this.services, () => this.#state === 'running'),
          }),
          ...this.services.flatMap((s) => withSource(s.providers(), s.name)),
          ...withSource(this.#providers, 'application'),
        ],
        this.services.flatMap((s) => s.requires()),
      );
    } catch (error) {
      this.#state = 'stopped';
      throw new StartupError(undefined, error);
    }
    this.#container = container;
    for (const service of this.services) {
      attachService(service, {
        container,
        logger: this.logger.child({ service: service.name }),
        signal: this.#abort.signal,
        requestStop: (error) => this.#requestStop(error),
      });
    }
    if (this.#warmup) {
      try {
        await container.warmup();
      } catch (error) {
        await this.#abortStart(undefined, error);
      }
    }
    for (const service of this.services) {
      // A stop requested meanwhile: start nothing more; `stop()` stops what did start.
      if (this.#abort.signal.aborted) return;
      this.#busy = { service: service.name, phase: 'starting' };
      try {
        await service.start();
      } catch (error) {
        this.#busy = undefined;
        await this.#abortStart(service, error);
      }
      this.#busy = undefined;
      this.#started.push(service);
      this.logger.debug({ service: service.name }, 'service started');
    }
    if (this.#abort.signal.aborted) return;
    this.#state = 'running';
    this.logger.info(
      { services: this.services.map((s) => s.name), ms: Math.round(performance.now() - began) },
      'application started',
    );
  }

  async #abortStart(service: Service | undefined, cause: unknown): Promise<never> {
    const error = new StartupError(service?.name, cause);
    this.#state = 'stopping';
    const failures = await this.#stopServices(error);
    if (failures.length > 0)
      this.logger.error({ err: new ShutdownError(failures) }, 'cleanup after failed start');
    this.#state = 'stopped';
    throw error;
  }

  /**
   * Stops the services in reverse order, each receiving `error` (what caused the shutdown),
   * then closes the app scope. Bounded by `shutdownTimeout`: past it, rejects with
   * `DeadlineExceededError`. Rejects with `ShutdownError` if a service failed to stop (all
   * the others are still stopped). Idempotent; waits for a `start()` in progress first.
   */
  stop(error?: unknown): Promise<void> {
    if (this.#onStopRequest !== undefined) this.#onStopRequest(error);
    this.#stopping ??= this.#stop(error);
    return this.#stopping;
  }

  async #stop(error: unknown): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    // Services see the signal at once; a start in progress starts nothing more.
    this.#abort.abort(error);
    this.logger.info(error === undefined ? {} : { err: error }, 'application stopping');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#deadlineError()), this.#shutdownTimeout);
    });
    try {
      const failures = await Promise.race([this.#shutdown(error), deadline]);
      if (failures.length > 0) throw new ShutdownError(failures);
      this.logger.info('application stopped');
    } finally {
      clearTimeout(timer);
      this.#state = 'stopped';
    }
  }

  async #shutdown(error: unknown): Promise<{ service: string; error: unknown }[]> {
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined);
    // A failed start has already stopped what it started.
    if (this.#state === 'stopped') return [];
    this.#state = 'stopping';
    return this.#stopServices(error);
  }

  #deadlineError(): DeadlineExceededError {
    const busy = this.#busy;
    const parts = busy === undefined ? [] : [`${busy.service} is still ${busy.phase}`];
    const waiting = [...this.#started]
      .reverse()
      .map((s) => s.name)
      .filter((name) => name !== busy?.service);
    if (waiting.length > 0) parts.push(`not stopped yet: ${waiting.join(', ')}`);
    const where = parts.length === 0 ? '' : `: ${parts.join('; ')}`;
    return new DeadlineExceededError(
      `Shutdown did not finish within ${this.#shutdownTimeout} ms${where}`,
      { code: 'APP_SHUTDOWN_TIMEOUT' },
    );
  }

  /** Stops started services newest first, then closes the container; returns what failed. */
  async #stopServices(error: unknown): Promise<{ service: string; error: unknown }[]> {
    this.#abort.abort(error);
    const failures: { service: string; error: unknown }[] = [];
    while (this.#started.length > 0) {
      const service = this.#started.at(-1) as Service;
      this.#busy = { service: service.name, phase: 'stopping' };
      try {
        await this.#stopWithin(service, error);
        this.logger.debug({ service: service.name }, 'service stopped');
      } catch (failure) {
        failures.push({ service: service.name, error: failure });
        this.logger.error(
          { err: failure, service: service.name },
          `Service ${service.name} failed to stop`,
        );
      }
      this.#started.pop();
      this.#busy = undefined;
    }
    try {
      await this.#container?.close(error);
    } catch (failure) {
      failures.push({ service: 'container', error: failure });
    }
    return failures;
  }

  /**
   * One service's stop, bounded by `serviceStopTimeout`: a stop that hangs fails, so the
   * services below it (a pool, say) are still stopped. The hung stop is left running.
   */
  async #stopWithin(service: Service, error: unknown): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new DeadlineExceededError(
            `Service ${service.name} did not stop within ${this.#serviceStopTimeout} ms; stopping the services started before it`,
            { code: 'APP_SERVICE_STOP_TIMEOUT' },
          ),
        );
      }, this.#serviceStopTimeout);
    });
    try {
      await Promise.race([Promise.resolve().then(() => service.stop(error)), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A service's `requestStop(error)`: stop now; a failure is logged, or reported by `run()`. */
  #requestStop(error: unknown): void {
    this.stop(error).catch((failure: unknown) => {
      if (this.#onStopRequest === undefined) this.logger.error({ err: failure }, describe(failure));
    });
  }

  /**
   * Runs the application as the process: starts it, stops it on SIGINT/SIGTERM, an
   * uncaught error, a service's `requestStop(error)` or `stop()`, and exits the process —
   * 0 after a clean stop, 1 after any failure. A second signal forces exit at once
   * (128 + signal number).
   */
  async run(options: RunOptions = {}): Promise<void> {
    const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
    let resolveStop!: (reason: { error: unknown }) => void;
    const stopRequested = new Promise<{ error: unknown }>((resolve) => {
      resolveStop = resolve;
    });
    let signalled = false;
    this.#onStopRequest = (error) => resolveStop({ error });

    // Stop at once, also during start (which then starts nothing more); the outcome is
    // awaited below, after start() has settled.
    const stopNow = (error: unknown): void => {
      this.stop(error).catch(() => undefined);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        this.logger.fatal({ signal }, 'second signal: forcing exit');
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
      signalled = true;
      this.logger.info({ signal }, 'signal received');
      stopNow(undefined);
    };
    const onFatal = (error: unknown): void => {
      this.logger.error({ err: error }, `uncaught error: ${describe(error)}`);
      stopNow(error);
    };
    for (const signal of signals) process.on(signal, onSignal);
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);

    // A pending promise does not keep Node alive; an app of idle services must still run
    // until it is told to stop.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      await this.start();
    } catch (error) {
      reportStartupFailure(this.logger, error);
      process.exit(1);
    }
    const { error } = await stopRequested;
    clearInterval(keepAlive);
    let code = error === undefined ? 0 : 1;
    try {
      await this.stop(error);
    } catch (failure) {
      this.logger.fatal({ err: failure }, describe(failure));
      code = 1;
    }
    process.exit(code);
  }
}
