import type { HostPool } from './host-pool.js';

/** How often hosts are checked while callers wait for one (when refreshDelay is longer). */
export const HURRIED_DELAY_MS = 100;

/** When the {@link CheckScheduler} checks, and what it tells after each check. */
export interface CheckSchedule {
  /** Pause between two checks of a host. */
  readonly refreshDelayMs: number;
  /** Limit on one check, connecting included. */
  readonly refreshTimeoutMs: number;
  /** Called after each completed check of a host (not once the scheduler is stopped). */
  readonly onChecked: (host: HostPool) => void;
}

interface Scheduled {
  readonly pool: HostPool;
  checking: boolean;
  timer: NodeJS.Timeout | undefined;
  /** When the next check is due (performance.now() time). */
  dueAt: number;
}

/**
 * Checks every host in the background: one check at a time per host, each `refreshDelayMs`
 * after the previous one ended; a host at once when a caller could not get a connection
 * from it; every host each {@link HURRIED_DELAY_MS} while callers wait for a suitable one, so
 * that a promoted replica is found well before its next usual check. Timers are unref'd:
 * checks alone do not keep a process alive.
 */
export class CheckScheduler {
  readonly #hosts: readonly Scheduled[];
  readonly #schedule: CheckSchedule;
  /** Callers waiting for a suitable host. */
  #waiters = 0;
  #stopped = false;

  constructor(hosts: readonly HostPool[], schedule: CheckSchedule) {
    this.#hosts = hosts.map((pool) => ({ pool, checking: false, timer: undefined, dueAt: 0 }));
    this.#schedule = schedule;
  }

  /** Checks every host now, then at its pace. */
  start(): void {
    for (const host of this.#hosts) void this.#check(host);
  }

  /** Checks a host at once (unless a check of it is under way), then at its usual pace. */
  checkNow(pool: HostPool): void {
    const host = this.#hosts.find((h) => h.pool === pool);
    if (host !== undefined) void this.#check(host);
  }

  /**
   * A caller starts waiting for a host: until every waiting caller has called the returned
   * function, hosts are checked every {@link HURRIED_DELAY_MS}.
   */
  hurry(): () => void {
    let done = false;
    const relax = () => {
      if (!done) this.#waiters--;
      done = true;
    };
    if (this.#waiters++ > 0) return relax;
    if (this.#schedule.refreshDelayMs <= HURRIED_DELAY_MS) return relax;
    const soon = performance.now() + HURRIED_DELAY_MS;
    for (const h of this.#hosts) {
      if (!h.checking && h.dueAt > soon) this.#after(h, HURRIED_DELAY_MS);
    }
    return relax;
  }

  /** No more checks: pending ones are cancelled, running ones tell nobody. */
  stop(): void {
    this.#stopped = true;
    for (const h of this.#hosts) clearTimeout(h.timer);
  }

  async #check(host: Scheduled): Promise<void> {
    if (this.#stopped || host.checking) return;
    clearTimeout(host.timer);
    host.checking = true;
    try {
      await host.pool.check(this.#schedule.refreshTimeoutMs);
    } finally {
      host.checking = false;
    }
    if (this.#stopped) return;
    this.#schedule.onChecked(host.pool);
    const delay = this.#schedule.refreshDelayMs;
    this.#after(host, this.#waiters > 0 ? Math.min(delay, HURRIED_DELAY_MS) : delay);
  }

  #after(host: Scheduled, delayMs: number): void {
    clearTimeout(host.timer);
    host.timer = setTimeout(() => void this.#check(host), delayMs);
    host.timer.unref();
    host.dueAt = performance.now() + delayMs;
  }
}
