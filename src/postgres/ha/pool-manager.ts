import { CheckScheduler } from './check-scheduler.js';
import { ClusterState } from './cluster-state.js';
import { ConnectionAcquirer } from './connection-acquirer.js';
import { createBalancer } from './create-balancer.js';
import type { HaConnection } from './ha-connection.js';
import { managerClosed, noPoolCheckWithin, notReadyWithin } from './ha-errors.js';
import { type HostMetrics, hostMetrics } from './host-metrics.js';
import type { HostPool } from './host-pool.js';
import { openHostPools } from './open-host-pools.js';
import type { PoolManagerListener } from './pool-manager-event.js';
import {
  type AcquireOptions,
  POOL_MANAGER_DEFAULTS,
  type PoolManagerOptions,
  type ResolvedPoolManagerOptions,
  resolvePoolManagerOptions,
} from './pool-manager-options.js';
import type { EffectiveRole } from './role-evaluation.js';

export type { HostMetrics } from './host-metrics.js';
export type { PoolManagerEvent } from './pool-manager-event.js';
// Kept here too: `PostgresService` and older code import the options type from this module.
export type {
  AcquireOptions,
  HostPoolOptions,
  PoolManagerOptions,
} from './pool-manager-options.js';
export type { EffectiveRole } from './role-evaluation.js';

/**
 * Connections to a PostgreSQL cluster of one master and its replicas, with hasql's API: a
 * pool per host, a background check of every host's role, acquisition by role with a
 * pluggable balancer, waiting for a suitable host up to a timeout. Beyond hasql: replicas
 * behind a lag bound serve reads only when no fresher one is there, and a split-brain guard
 * (two hosts reporting master: the newer WAL timeline wins; on equal timelines neither takes
 * writes until one yields). Its parts: {@link CheckScheduler} runs the checks,
 * {@link ClusterState} applies `evaluateRoles` after each, {@link ConnectionAcquirer} hands
 * out connections; this class is the public surface over them.
 *
 * @example
 * const manager = await PoolManager.create({ dsn: 'postgresql://app:pw@db1,db2,db3/app' });
 * await manager.ready(1, 1);
 * await using conn = await manager.acquireReplica();
 * await conn.query('SELECT 1', []);
 */
export class PoolManager {
  readonly #state: ClusterState;
  readonly #scheduler: CheckScheduler;
  readonly #acquirer: ConnectionAcquirer;
  readonly #options: ResolvedPoolManagerOptions;

  private constructor(
    state: ClusterState,
    scheduler: CheckScheduler,
    acquirer: ConnectionAcquirer,
    options: ResolvedPoolManagerOptions,
  ) {
    this.#state = state;
    this.#scheduler = scheduler;
    this.#acquirer = acquirer;
    this.#options = options;
  }

  /**
   * Opens a pool per host and starts checking them; `ready()` waits for the roles. Invalid
   * options throw UsageError (`INVALID_OPTION`, or `HA_UNKNOWN_BALANCER`); without the `pg`
   * package, DependencyUnavailableError `PACKAGE_NOT_INSTALLED`.
   */
  static async create(options: PoolManagerOptions): Promise<PoolManager> {
    const resolved = resolvePoolManagerOptions(options);
    const balancer = createBalancer(resolved.balancer);
    // The state exists only once the pools do; errors of a check cannot come before start().
    let state: ClusterState | undefined;
    const { hosts, database } = await openHostPools(options, resolved, (host, error) =>
      state?.emit({ type: 'error', host, error }),
    );
    state = new ClusterState(hosts, resolved, database);
    const scheduler = new CheckScheduler(hosts, {
      refreshDelayMs: resolved.refreshDelayMs,
      refreshTimeoutMs: resolved.refreshTimeoutMs,
      onChecked: () => state?.update(),
    });
    const acquirer = new ConnectionAcquirer(state, scheduler, balancer, resolved);
    scheduler.start();
    return new PoolManager(state, scheduler, acquirer, resolved);
  }

  // ——— acquiring ———

  /** How long `acquire` waits by default (ms). */
  get acquireTimeoutMs(): number {
    return this.#options.acquireTimeoutMs;
  }

  /**
   * A connection from a host of the wanted role, chosen by the balancer. With none there,
   * waits for one to appear until the timeout, then DependencyUnavailableError
   * (`HA_NO_MASTER` / `HA_NO_REPLICA`) naming each host's state.
   */
  acquire(options: AcquireOptions = {}): Promise<HaConnection> {
    return this.#acquirer.acquire(options);
  }

  /** @internal `HaPool.query`: `acquire`, trying first the host it already picked. */
  acquireFrom(host: HostPool, options: AcquireOptions): Promise<HaConnection> {
    return this.#acquirer.acquire(options, host);
  }

  acquireMaster(options: Omit<AcquireOptions, 'readOnly'> = {}): Promise<HaConnection> {
    return this.#acquirer.acquire({ ...options, readOnly: false });
  }

  acquireReplica(options: Omit<AcquireOptions, 'readOnly'> = {}): Promise<HaConnection> {
    return this.#acquirer.acquire({ ...options, readOnly: true });
  }

  /** Returns a connection (the same as `connection.release()`). */
  release(connection: HaConnection, broken = false): void {
    connection.release(broken);
  }

  /** The host pool an acquisition with these options would use now, or undefined (no wait). */
  pick(options: AcquireOptions = {}): HostPool | undefined {
    return this.#acquirer.pick(options);
  }

  // ——— waiting ———

  /**
   * Waits until at least `masters` masters and `replicas` replicas are usable; with neither
   * given, until every host is. DependencyUnavailableError `HA_NOT_READY` after `timeoutMs`
   * (default `POOL_MANAGER_DEFAULTS.readyTimeoutMs`), `HA_CLOSED` if the manager closes.
   */
  ready(masters?: number, replicas?: number, timeoutMs?: number): Promise<void> {
    const timeout = timeoutMs ?? POOL_MANAGER_DEFAULTS.readyTimeoutMs;
    const every = masters === undefined && replicas === undefined;
    const state = this.#state;
    return state.waitUntil(
      every
        ? () => state.hosts.every((h) => isUsable(state.roleOf(h)))
        : () =>
            state.view.masters.length >= (masters ?? 0) &&
            state.view.replicas.length >= (replicas ?? 0),
      timeout,
      () =>
        notReadyWithin(
          timeout,
          every ? 'every host' : `${masters ?? 0} master(s) and ${replicas ?? 0} replica(s)`,
          state.states(),
          state.database,
        ),
      managerClosed,
    );
  }

  waitAllReady(timeoutMs?: number): Promise<void> {
    return this.ready(undefined, undefined, timeoutMs);
  }

  waitMastersReady(count: number, timeoutMs?: number): Promise<void> {
    return this.ready(count, 0, timeoutMs);
  }

  waitReplicasReady(count: number, timeoutMs?: number): Promise<void> {
    return this.ready(0, count, timeoutMs);
  }

  /** Waits until every host has been checked once more (`HA_NO_POOL_CHECK` after the timeout). */
  waitNextPoolCheck(timeoutMs?: number): Promise<void> {
    const timeout = timeoutMs ?? POOL_MANAGER_DEFAULTS.readyTimeoutMs;
    const hosts = this.#state.hosts;
    const target = hosts.map((h) => h.checks + 1);
    return this.#state.waitUntil(
      () => hosts.every((h, i) => h.checks >= (target[i] ?? 0)),
      timeout,
      () => noPoolCheckWithin(timeout),
      managerClosed,
    );
  }

  // ——— pools ———

  /** Every host pool, in host-list order. */
  get pools(): readonly HostPool[] {
    return this.#state.hosts;
  }

  /** The pool the balancer would choose now (no waiting). */
  getPool(readOnly = false, fallbackMaster?: boolean): HostPool | undefined {
    return this.pick({ readOnly, ...(fallbackMaster === undefined ? {} : { fallbackMaster }) });
  }

  /** The usable master's pool (none during a contested split brain). */
  getMasterPools(): HostPool[] {
    return [...this.#state.view.masters];
  }

  /** Usable replicas' pools; with `fallbackMaster` the master's when there is no replica. */
  getReplicaPools(fallbackMaster = false): HostPool[] {
    const { masters, replicas } = this.#state.view;
    return [...(replicas.length === 0 && fallbackMaster ? masters : replicas)];
  }

  poolIsMaster(pool: HostPool): boolean {
    return this.#state.roleOf(pool) === 'master';
  }

  poolIsReplica(pool: HostPool): boolean {
    return this.#state.roleOf(pool) === 'replica';
  }

  /** The host's effective role (`fenced` and `contested` come from the split-brain guard). */
  roleOf(pool: HostPool): EffectiveRole {
    return this.#state.roleOf(pool);
  }

  getPoolFreesize(pool: HostPool): number {
    return pool.freeSize;
  }

  /** The host's newest health-check response time in ms. */
  getLastResponseTime(pool: HostPool): number | undefined {
    return pool.stopwatch.last;
  }

  // ——— observing ———

  /**
   * Listens to role changes, split brains and check errors; returns the function that stops
   * listening. A listener that throws does not stop the checks or the other listeners: its
   * error surfaces as an uncaught exception, as with an `EventTarget`.
   */
  onEvent(listener: PoolManagerListener): () => void {
    return this.#state.onEvent(listener);
  }

  /** Every host's figures now, in host-list order. */
  metrics(): HostMetrics[] {
    return hostMetrics(this.#state);
  }

  // ——— closing ———

  /** Stops checking and closes every pool once its connections are returned. */
  async close(): Promise<void> {
    if (this.#state.closed) return;
    this.#scheduler.stop();
    this.#state.close();
    await Promise.all(this.#state.hosts.map((h) => h.close()));
  }

  /**
   * Closes at once, as hasql's `terminate`: connections in use are closed under their users
   * (a statement in flight fails; later ones, and waiting callers, get `HA_CLOSED`).
   */
  async terminate(): Promise<void> {
    for (const h of this.#state.hosts) {
      h.connections.discardConnections();
      h.terminateCheckedOut();
    }
    await this.close();
  }
}

function isUsable(role: EffectiveRole): boolean {
  return role === 'master' || role === 'replica';
}
