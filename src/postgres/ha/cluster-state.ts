import { type HostState, hostDropped } from './ha-errors.js';
import type { HostPool } from './host-pool.js';
import type { PoolManagerEvent, PoolManagerListener } from './pool-manager-event.js';
import { type EffectiveRole, evaluateRoles, NO_HOSTS, type RoleView } from './role-evaluation.js';

/** The lag bounds that make a replica `lagging`. */
export interface LagBounds {
  readonly maxLagBytes: number | undefined;
  readonly maxLagSeconds: number | undefined;
}

/**
 * What the manager knows of its cluster between two checks: each host's effective role, the
 * candidate lists for acquisitions, the listeners of its events, and a signal for callers
 * waiting for the next change. After each check, {@link update} applies
 * {@link evaluateRoles} and tells whoever listens or waits.
 */
export class ClusterState {
  /** Every host pool, in host-list order. */
  readonly hosts: readonly HostPool[];
  /** The database every host serves, when given (for messages; pg's default is the user's name). */
  readonly database: string | undefined;
  readonly #bounds: LagBounds;
  #roles: readonly EffectiveRole[];
  readonly #roleChanges: number[];
  #view: RoleView<HostPool> = NO_HOSTS;
  /** The newest master timeline seen: a master on an older one is fenced. */
  #timeline = 0;
  /** Hosts claiming the master role, as last reported. */
  #claimants: readonly string[] = [];
  #changed = deferred();
  #closed = false;
  readonly #listeners = new Set<PoolManagerListener>();

  constructor(hosts: readonly HostPool[], bounds: LagBounds, database?: string) {
    this.hosts = hosts;
    this.database = database;
    this.#bounds = { maxLagBytes: bounds.maxLagBytes, maxLagSeconds: bounds.maxLagSeconds };
    this.#roles = hosts.map(() => 'unavailable');
    this.#roleChanges = hosts.map(() => 0);
  }

  /** The candidate lists as of the latest checks (on the hot path: computed once per check). */
  get view(): RoleView<HostPool> {
    return this.#view;
  }

  get closed(): boolean {
    return this.#closed;
  }

  roleOf(pool: HostPool): EffectiveRole {
    const i = this.hosts.indexOf(pool);
    return i < 0 ? 'unavailable' : (this.#roles[i] ?? 'unavailable');
  }

  /** How often the host at `index` changed effective role. */
  roleChangesOf(index: number): number {
    return this.#roleChanges[index] ?? 0;
  }

  /**
   * Each host and its effective role, for error messages (addresses only, never credentials);
   * an unavailable host with the reason: its last check's failure, or that it claims master
   * while the first check of another host is still awaited.
   */
  states(): HostState[] {
    return this.hosts.map((pool, i) => {
      const role = this.#roles[i] ?? 'unavailable';
      const reason =
        role !== 'unavailable'
          ? undefined
          : pool.status?.role === 'master'
            ? 'claims master, not chosen before every host is checked once'
            : pool.checks === 0
              ? 'not checked yet'
              : pool.lastFailure;
      return { host: pool.address, role, ...(reason === undefined ? {} : { reason }) };
    });
  }

  /**
   * After a check: derives every host's effective role, drops a host whose role changed (its
   * connections, made under the old role, must not serve the new one; its queued callers move
   * to the new choice), emits
   * the events and wakes the callers waiting for a change.
   */
  update(): void {
    if (this.#closed) return;
    const result = evaluateRoles({
      hosts: this.hosts,
      roles: this.#roles,
      timeline: this.#timeline,
      claimants: this.#claimants,
      settled: this.hosts.every((h) => h.checks > 0),
      ...this.#bounds,
    });
    for (const [i, pool] of this.hosts.entries()) {
      const from = this.#roles[i] ?? 'unavailable';
      const to = result.roles[i] ?? 'unavailable';
      if (from === to) continue;
      this.#roleChanges[i] = (this.#roleChanges[i] ?? 0) + 1;
      pool.drop(hostDropped(pool.address, from, to));
    }
    this.#roles = result.roles;
    this.#view = result.view;
    this.#timeline = result.timeline;
    this.#claimants = result.claimants;
    for (const event of result.events) this.emit(event);
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
  }

  onEvent(listener: PoolManagerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Tells every listener. A listener that throws does not stop the others or the checks: its
   * error is its own and surfaces as an uncaught exception, as with an `EventTarget`.
   */
  emit(event: PoolManagerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Resolves after the next check completes (or on close), or after `timeoutMs`. */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void this.#changed.promise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Waits, check after check, until `met()`; throws `onTimeout()` once `timeoutMs` have
   * passed, and `onClose()` if the manager closes first.
   */
  async waitUntil(
    met: () => boolean,
    timeoutMs: number,
    onTimeout: () => Error,
    onClose: () => Error,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!met()) {
      if (this.#closed) throw onClose();
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw onTimeout();
      await this.nextChange(remaining);
    }
  }

  /** No host is usable any more; waiting callers wake up to find the manager closed. */
  close(): void {
    this.#closed = true;
    this.#view = NO_HOSTS;
    this.#changed.resolve();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
