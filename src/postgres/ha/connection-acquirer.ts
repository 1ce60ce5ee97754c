import type { BalancerCandidate, BalancerPolicy } from './balancer-policy.js';
import type { CheckScheduler } from './check-scheduler.js';
import type { ClusterState } from './cluster-state.js';
import { HaConnection } from './ha-connection.js';
import { hostDropped, managerClosed, noConnectionWithin } from './ha-errors.js';
import type { HostPool } from './host-pool.js';
import {
  type AcquireOptions,
  checkAcquireOptions,
  type ResolvedPoolManagerOptions,
} from './pool-manager-options.js';
import type { RoleView } from './role-evaluation.js';

/** The manager's settings of what an `acquire` call may also set for itself. */
export type PickDefaults = Pick<
  ResolvedPoolManagerOptions,
  'fallbackMaster' | 'masterAsReplicaWeight'
>;

/**
 * The host an acquisition with these options would use, from the candidate lists of a role
 * view. Writes: the master. Reads: replicas within the lag bounds; else the master with
 * `fallbackMaster`; else the least-lagging replicas. The master joins the read candidates
 * with probability `masterAsReplicaWeight` (`random` draws it). Pure but for the balancer.
 */
export function pickHost<H extends BalancerCandidate>(
  view: RoleView<H>,
  balancer: BalancerPolicy,
  options: AcquireOptions,
  defaults: PickDefaults,
  random: () => number = Math.random,
): H | undefined {
  const { masters, fresh, freshest } = view;
  if (options.readOnly !== true) return balancer.choose(masters);
  if (fresh.length === 0) {
    const fallback = options.fallbackMaster ?? defaults.fallbackMaster;
    return balancer.choose(fallback && masters.length > 0 ? masters : freshest);
  }
  const weight = options.masterAsReplicaWeight ?? defaults.masterAsReplicaWeight;
  if (weight > 0 && masters.length > 0 && random() < weight) {
    return balancer.choose([...fresh, ...masters]);
  }
  return balancer.choose(fresh);
}

/**
 * Hands out connections by role: picks a host pool with the balancer among the candidates
 * of the cluster's role view, and when there is none (or it cannot give a connection) waits
 * for the next check, hurrying the checks, until the timeout.
 */
export class ConnectionAcquirer {
  readonly #state: ClusterState;
  readonly #scheduler: CheckScheduler;
  readonly #balancer: BalancerPolicy;
  readonly #options: ResolvedPoolManagerOptions;

  constructor(
    state: ClusterState,
    scheduler: CheckScheduler,
    balancer: BalancerPolicy,
    options: ResolvedPoolManagerOptions,
  ) {
    this.#state = state;
    this.#scheduler = scheduler;
    this.#balancer = balancer;
    this.#options = options;
  }

  /** The host pool an acquisition with these options would use now, or undefined (no wait). */
  pick(options: AcquireOptions = {}): HostPool | undefined {
    return pickHost(this.#state.view, this.#balancer, options, this.#options);
  }

  /**
   * A connection from a host of the wanted role. With none there, waits for one to appear
   * until the timeout, then DependencyUnavailableError (`HA_NO_MASTER` / `HA_NO_REPLICA`)
   * naming each host's state; `HA_CLOSED` once the manager is closed. `picked`: the host a
   * caller already chose with {@link pick} (tried first, so the balancer turns once).
   */
  async acquire(options: AcquireOptions = {}, picked?: HostPool): Promise<HaConnection> {
    checkAcquireOptions(options);
    const timeout = options.timeout ?? this.#options.acquireTimeoutMs;
    const deadline = performance.now() + timeout;
    let failure: unknown;
    let first = picked;
    for (;;) {
      if (this.#state.closed) throw managerClosed();
      const host = first ?? this.pick(options);
      first = undefined;
      if (host !== undefined) {
        try {
          const taken = await this.#take(host, options);
          if (taken instanceof HaConnection) return taken;
          failure = taken; // dropped while this caller waited: try the new choice
          continue;
        } catch (error) {
          // The host went away since its last check: check it now rather than at its turn.
          failure = error;
          this.#scheduler.checkNow(host);
        }
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        const states = this.#state.states();
        const readOnly = options.readOnly === true;
        throw noConnectionWithin(readOnly, timeout, states, failure, this.#state.database);
      }
      const relax = this.#scheduler.hurry();
      try {
        await this.#state.nextChange(remaining);
      } finally {
        relax();
      }
    }
  }

  /**
   * A connection from `host`, or the reason the manager dropped the host while this caller
   * was queued on its pool: the caller then stops waiting there (the connection it would
   * have got goes back), instead of waiting out the acquire timeout on a host no longer used.
   * A connection handed out just as its host changed role is given back the same way.
   */
  #take(host: HostPool, options: AcquireOptions): Promise<HaConnection | Error> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const stopListening = host.onDrop((reason) => {
        settled = true;
        resolve(reason);
      });
      host.connections.acquire().then(
        (connection) => {
          stopListening();
          if (settled) {
            connection.release(); // its caller moved on
            return;
          }
          settled = true;
          const view = this.#state.view;
          const serves =
            view.masters.includes(host) ||
            (options.readOnly === true && view.replicas.includes(host));
          if (serves) {
            resolve(new HaConnection(connection, host));
            return;
          }
          connection.release();
          const wanted = options.readOnly === true ? 'replica' : 'master';
          resolve(hostDropped(host.address, wanted, this.#state.roleOf(host)));
        },
        (error: unknown) => {
          stopListening();
          // Once the caller moved on, the failure is no one's news.
          if (!settled) reject(error);
          settled = true;
        },
      );
    });
  }
}
