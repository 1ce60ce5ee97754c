import type { Scope } from '../di/scope.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { Service } from './service.js';

const OPTION_KEYS = new Set(['interval', 'runOnStart', 'name']);

/** Options of a {@link PeriodicService}. */
export interface PeriodicOptions {
  /** Milliseconds between the end of one run and the start of the next. */
  readonly interval: number;
  /** Run once right at start instead of after the first interval. Default `true`. */
  readonly runOnStart?: boolean;
  readonly name?: string;
}

/**
 * A worker that runs `tick` periodically, never overlapping itself. Each run gets its own
 * request scope, closed after the run (with the error if it threw). A failing run is logged
 * and the schedule goes on. `stop()` cancels the schedule and waits for a run in progress;
 * `signal` tells that run to finish early.
 *
 * @example
 * class Cleanup extends PeriodicService {
 *   constructor() { super({ interval: 60_000 }); }
 *   protected async tick(scope: Scope) { await (await scope.get(Sessions)).purgeExpired(); }
 * }
 */
export abstract class PeriodicService extends Service {
  /** Milliseconds between runs; a subclass may change it before `super.start()`. */
  protected interval: number;
  readonly #runOnStart: boolean;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #active = false;

  constructor(options: PeriodicOptions) {
    super(options.name);
    rejectUnknownKeys(this.name, options, OPTION_KEYS);
    this.interval = options.interval;
    this.#runOnStart = options.runOnStart ?? true;
  }

  /** One run of the job. */
  protected abstract tick(scope: Scope, signal: AbortSignal): void | Promise<void>;

  override start(): void {
    if (!Number.isFinite(this.interval) || this.interval <= 0 || this.interval > 2_147_483_647) {
      invalidOption(this.name, 'interval', 'must be a positive number of milliseconds');
    }
    this.#active = true;
    this.#schedule(this.#runOnStart ? 0 : this.interval);
  }

  override async stop(): Promise<void> {
    this.#active = false;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#running = this.#runOnce().finally(() => {
        this.#running = undefined;
        if (this.#active) this.#schedule(this.interval);
      });
    }, delay);
  }

  async #runOnce(): Promise<void> {
    const scope = this.createScope();
    let failure: unknown;
    try {
      await this.tick(scope, this.signal);
    } catch (error) {
      failure = error;
      this.logger.error({ err: error }, `${this.name} run failed`);
    }
    try {
      await scope.close(failure);
    } catch (error) {
      this.logger.error({ err: error }, `${this.name}: closing the run's scope failed`);
    }
  }
}
