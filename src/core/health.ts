import type { Service } from './service.js';

/** The outcome of one health check. */
export interface HealthCheckResult {
  readonly name: string;
  readonly healthy: boolean;
  /** Why it is unhealthy (a message, never a stack). */
  readonly reason?: string;
  readonly ms: number;
}

/** Readiness of the whole application. */
export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: readonly HealthCheckResult[];
}

/**
 * The application's readiness, and its DI token (inject `Health` to read it; HTTP `/ready`
 * does): the application must be running, and every service's `checkHealth()` must pass
 * within `timeout` ms. Checks run concurrently.
 */
export class Health {
  readonly #services: readonly Service[];
  readonly #running: () => boolean;
  readonly #timeout: number;

  constructor(services: readonly Service[], running: () => boolean, timeout = 5_000) {
    this.#services = services;
    this.#running = running;
    this.#timeout = timeout;
  }

  async report(): Promise<HealthReport> {
    const checks = await Promise.all(this.#services.map((s) => this.#check(s)));
    const running = this.#running();
    return {
      healthy: running && checks.every((c) => c.healthy),
      checks: running
        ? checks
        : [{ name: 'application', healthy: false, reason: 'not running', ms: 0 }, ...checks],
    };
  }

  async #check(service: Service): Promise<HealthCheckResult> {
    const began = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        service.checkHealth(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.#timeout} ms`)),
            this.#timeout,
          );
        }),
      ]);
      return { name: service.name, healthy: true, ms: Math.round(performance.now() - began) };
    } catch (error) {
      return {
        name: service.name,
        healthy: false,
        reason: error instanceof Error ? error.message : String(error),
        ms: Math.round(performance.now() - began),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
