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
   * Callbacks inside, one promise per call: this is every write's path.
   */
  acquire(options: AcquireOptions = {}, picked?: HostPool): Promise<HaConnection> {
    return new Promise((resolve, reject) => {
      checkAcquireOptions(options); // a throw here rejects
      const timeout = options.timeout ?? this.#options.acquireTimeoutMs;
      const deadline = performance.now() + timeout;
      let failure: unknown;
      const attempt = (host: HostPool | undefined): void => {
        if (this.#state.closed) {
          reject(managerClosed());
          return;
        }
        if (host === undefined) {
          wait();
          return;
        }
        this.#take(host, options, (outcome, moved) => {
          if (outcome instanceof HaConnection) resolve(outcome);
          else if (moved) {
            failure = outcome; // dropped while this caller waited: try the new choice
            attempt(this.pick(options));
          } else {
            // The host went away since its last check: check it now rather than at its turn.
            failure = outcome;
            this.#scheduler.checkNow(host);
            wait();
          }
        });
      };
      const wait = (): void => {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          const states = this.#state.states();
          const readOnly = options.readOnly === true;
          reject(noConnectionWithin(readOnly, timeout, states, failure, this.#state.database));
          return;
        }
        const relax = this.#scheduler.hurry();
        void this.#state.nextChange(remaining).then(() => {
          relax();
          attempt(this.pick(options));
        });
      };
      attempt(picked ?? this.pick(options));
    });
  }

  /**
   * A connection from `host`, or why there is none: `moved` when the manager dropped the host
   * while this caller was queued on its pool (the caller stops waiting there and the
   * connection it would have got goes back, instead of waiting out the acquire timeout on a
   * host no longer used). A connection handed out just as its host changed role is given
   * back the same way. Only a caller that really queues listens for the drop: a free
   * connection is handed over synchronously.
   */
  #take(
    host: HostPool,
    options: AcquireOptions,
    done: (outcome: HaConnection | unknown, moved: boolean) => void,
  ): void {
    let settled = false;
    let stopListening: (() => void) | undefined;
    host.connections.connect(undefined, (error, connection) => {
      stopListening?.();
      if (settled) {
        connection?.release(); // its caller moved on; a failure is no one's news
        return;
      }
      settled = true;
      if (connection === undefined) {
        done(error, false);
        return;
      }
      const view = this.#state.view;
      if (
        view.masters.includes(host) ||
        (options.readOnly === true && view.replicas.includes(host))
      ) {
        done(new HaConnection(connection, host), false);
        return;
      }
      connection.release();
      const wanted = options.readOnly === true ? 'replica' : 'master';
      done(hostDropped(host.address, wanted, this.#state.roleOf(host)), true);
    });
    if (settled) return;
    stopListening = host.onDrop((reason) => {
      settled = true;
      done(reason, true);
    });
  }
}
