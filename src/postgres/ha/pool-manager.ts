import type { ClientConfig } from 'pg';
import { parseDsn } from '../../config/dsn.js';
import { DependencyUnavailableError } from '../../errors/application-errors.js';
import { invalidOption, rejectUnknownKeys } from '../../errors/invalid-option.js';
import { PgPool, type PgPoolOptions } from '../pg-pool.js';
import type { BalancerPolicy, BalancerPolicyName } from './balancer-policy.js';
import { GreedyBalancer } from './greedy-balancer.js';
import { HaConnection } from './ha-connection.js';
import { HostPool, type HostRole } from './host-pool.js';
import { RandomWeightedBalancer } from './random-weighted-balancer.js';
import { RoundRobinBalancer } from './round-robin-balancer.js';

/** Pool settings applied to every host's pool. */
export type HostPoolOptions = Omit<
  PgPoolOptions,
  'connectionString' | 'host' | 'port' | 'user' | 'password' | 'database'
>;

/** Settings of a {@link PoolManager} (SPEC HA-10). Durations in milliseconds. */
export interface PoolManagerOptions {
  /** `postgresql://user:password@h1:5432,h2:5433,h3/db` (hasql's rules, SPEC HA-1). */
  readonly dsn?: string;
  /** `host:port` of every host, instead of (or over) the DSN's. */
  readonly hosts?: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Default limit on `acquire` (default 5 s). */
  readonly acquireTimeoutMs?: number;
  /** Pause between two checks of a host (default 1 s). */
  readonly refreshDelayMs?: number;
  /** Limit on one check, connecting included (default 1 s). */
  readonly refreshTimeoutMs?: number;
  /** Reads may use the master when no replica is available (default false). */
  readonly fallbackMaster?: boolean;
  /** Chance (0–1) that the master joins the replicas as a candidate for a read (default 0). */
  readonly masterAsReplicaWeight?: number;
  /** `greedy` (default), `random_weighted`, `round_robin`, or a policy of your own. */
  readonly balancer?: BalancerPolicyName | BalancerPolicy;
  /** Response times kept per host for the median (default 128). */
  readonly stopwatchWindowSize?: number;
  /** A replica further behind the master than this many WAL bytes is lagging (HA-11). */
  readonly maxLagBytes?: number;
  /** A replica whose replay is this many seconds behind is lagging (HA-11). */
  readonly maxLagSeconds?: number;
  /** Per-host pool settings (size, timeouts, prepared statements, init hook). */
  readonly pool?: HostPoolOptions;
}

/** Per-call options of `acquire` (SPEC HA-4). */
export interface AcquireOptions {
  /** A replica (true) or the master (false, default). */
  readonly readOnly?: boolean;
  readonly fallbackMaster?: boolean;
  readonly masterAsReplicaWeight?: number;
  /** Milliseconds to wait for a suitable host and a free connection. */
  readonly timeout?: number;
}

/**
 * A host's role as the manager uses it: what it reports, corrected by the split-brain guard
 * (`fenced`: reports master on an older timeline than another master; `contested`: reports
 * master on the same timeline as another), or `unavailable`.
 */
export type EffectiveRole = HostRole | 'fenced' | 'contested' | 'unavailable';

/** One host's figures (SPEC HA-13). */
export interface HostMetrics {
  readonly host: string;
  readonly role: EffectiveRole;
  readonly free: number;
  readonly used: number;
  readonly waiting: number;
  /** Median and newest health-check response time (ms). */
  readonly medianResponseTime: number | undefined;
  readonly lastResponseTime: number | undefined;
  /** Replicas: WAL bytes behind the master and replay delay in seconds. */
  readonly lagBytes: number | undefined;
  readonly lagSeconds: number | undefined;
  readonly roleChanges: number;
}

/** What the manager reports as it happens. */
export type PoolManagerEvent =
  | {
      readonly type: 'role-change';
      readonly host: string;
      readonly from: EffectiveRole;
      readonly to: EffectiveRole;
    }
  | {
      /**
       * More than one host reports master. `master` is the one taking writes (the newest
       * timeline); absent while the claimants tie and none does.
       */
      readonly type: 'split-brain';
      readonly hosts: readonly string[];
      readonly master?: string;
    };

const DEFAULTS = {
  acquireTimeoutMs: 5_000,
  refreshDelayMs: 1_000,
  refreshTimeoutMs: 1_000,
  fallbackMaster: false,
  masterAsReplicaWeight: 0,
  stopwatchWindowSize: 128,
};

/** How often hosts are checked while callers wait for one (when refreshDelay is longer). */
const HURRIED_DELAY_MS = 100;

const OPTION_KEYS = new Set([
  'dsn',
  'hosts',
  'user',
  'password',
  'database',
  'acquireTimeoutMs',
  'refreshDelayMs',
  'refreshTimeoutMs',
  'fallbackMaster',
  'masterAsReplicaWeight',
  'balancer',
  'stopwatchWindowSize',
  'maxLagBytes',
  'maxLagSeconds',
  'pool',
]);

/** Usable hosts by role, recomputed after every check. */
interface RoleView {
  readonly masters: readonly HostPool[];
  readonly replicas: readonly HostPool[];
  /** Replicas within the lag bounds. */
  readonly fresh: readonly HostPool[];
  /** The least-lagging replicas, for reads when none is fresh. */
  readonly freshest: readonly HostPool[];
}

const NO_HOSTS: RoleView = { masters: [], replicas: [], fresh: [], freshest: [] };

interface HostState {
  readonly pool: HostPool;
  role: EffectiveRole;
  roleChanges: number;
  /** Runs a check now and schedules the next one. */
  check: () => Promise<void>;
  checking: boolean;
  timer: NodeJS.Timeout | undefined;
  /** When the next check is scheduled (performance.now() time). */
  dueAt: number;
}

/**
 * Connections to a PostgreSQL cluster of one master and its replicas (SPEC section 4): a
 * pool per host, a background check of every host's role, acquisition by role with a
 * pluggable balancer, waiting for a suitable host up to a timeout. Beyond hasql: replicas
 * behind a lag bound serve reads only when no fresher one is there, and a split-brain guard
 * (two hosts reporting master: the newer WAL timeline wins; on equal timelines neither takes
 * writes until one yields).
 *
 * @example
 * const manager = await PoolManager.create({ dsn: 'postgresql://app:pw@db1,db2,db3/app' });
 * await manager.ready(1, 1);
 * await using conn = await manager.acquireReplica();
 * await conn.query('SELECT 1', []);
 */
export class PoolManager {
  readonly #hosts: HostState[];
  readonly #options: PoolManagerOptions;
  readonly #balancer: BalancerPolicy;
  readonly #listeners = new Set<(event: PoolManagerEvent) => void>();
  /** Resolved after any check completes. */
  #changed: { promise: Promise<void>; resolve: () => void };
  #closed = false;
  /** Callers of `acquire` waiting for a suitable host. */
  #waiters = 0;
  /** Hosts claiming the master role, as last reported. */
  #claimants = '';
  #view = NO_HOSTS;
  /** The newest master timeline seen: a master on an older one is fenced. */
  #timeline = 0;

  private constructor(hosts: HostPool[], options: PoolManagerOptions, balancer: BalancerPolicy) {
    this.#hosts = hosts.map((pool) => ({
      pool,
      role: 'unavailable',
      roleChanges: 0,
      check: async () => {},
      checking: false,
      timer: undefined,
      dueAt: 0,
    }));
    this.#options = options;
    this.#balancer = balancer;
    this.#changed = deferred();
  }

  /** Opens a pool per host and starts checking them; `ready()` waits for the roles. */
  static async create(options: PoolManagerOptions): Promise<PoolManager> {
    rejectUnknownKeys('PoolManager', options, OPTION_KEYS);
    checkNumbers(options);
    const balancer = balancerOf(options.balancer ?? 'greedy');
    const dsn = options.dsn === undefined ? undefined : parseDsn(options.dsn);
    const addresses =
      options.hosts?.map((h) => parseDsn(`postgresql://${h}`).hosts[0]) ?? dsn?.hosts ?? [];
    if (addresses.length === 0) invalidOption('PoolManager', 'hosts', 'name at least one host');
    let pg: typeof import('pg').default;
    try {
      pg = (await import('pg')).default;
    } catch (error) {
      throw new DependencyUnavailableError('The HA pool needs the pg package (npm install pg)', {
        cause: error,
      });
    }
    const user = options.user ?? dsn?.user;
    const password = options.password ?? dsn?.password;
    const database = options.database ?? dsn?.database;
    const refreshTimeoutMs = options.refreshTimeoutMs ?? DEFAULTS.refreshTimeoutMs;
    const hosts: HostPool[] = [];
    for (const [index, address] of addresses.entries()) {
      if (address === undefined) continue;
      const where = {
        host: address.host,
        ...(address.port === undefined ? {} : { port: address.port }),
        ...(user === undefined ? {} : { user }),
        ...(password === undefined ? {} : { password }),
        ...(database === undefined ? {} : { database }),
      };
      const driver = await PgPool.create({
        acquireTimeoutMs: options.acquireTimeoutMs ?? DEFAULTS.acquireTimeoutMs,
        ...options.pool,
        ...where,
      });
      const system: ClientConfig = {
        ...where,
        connectionTimeoutMillis: refreshTimeoutMs,
        application_name: 'libretto-ha-check',
      };
      hosts.push(
        new HostPool(
          index,
          `${address.host}:${address.port ?? 5432}`,
          driver,
          system,
          pg.Client,
          options.stopwatchWindowSize ?? DEFAULTS.stopwatchWindowSize,
        ),
      );
    }
    const manager = new PoolManager(hosts, options, balancer);
    for (const host of manager.#hosts) manager.#watch(host);
    return manager;
  }

  // ——— acquiring (HA-4) ———

  /** How long `acquire` waits by default (ms). */
  get acquireTimeoutMs(): number {
    return this.#options.acquireTimeoutMs ?? DEFAULTS.acquireTimeoutMs;
  }

  /**
   * A connection from a host of the wanted role, chosen by the balancer. With none there,
   * waits for one to appear until the timeout, then DependencyUnavailableError naming what was
   * missing and each host's state.
   */
  async acquire(options: AcquireOptions = {}): Promise<HaConnection> {
    checkAcquireOptions(options);
    const timeout = options.timeout ?? this.acquireTimeoutMs;
    const deadline = performance.now() + timeout;
    let failure: unknown;
    for (;;) {
      if (this.#closed) throw new DependencyUnavailableError('The HA pool manager is closed');
      const host = this.pick(options);
      if (host !== undefined) {
        try {
          return new HaConnection(await host.driver.acquire(), host);
        } catch (error) {
          // The host went away since its last check: check it now rather than at its turn.
          failure = error;
          this.#checkNow(host);
        }
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw this.#unavailable(options, timeout, failure);
      this.#hurry();
      try {
        await this.#nextChange(remaining);
      } finally {
        this.#waiters--;
      }
    }
  }

  acquireMaster(options: Omit<AcquireOptions, 'readOnly'> = {}): Promise<HaConnection> {
    return this.acquire({ ...options, readOnly: false });
  }

  acquireReplica(options: Omit<AcquireOptions, 'readOnly'> = {}): Promise<HaConnection> {
    return this.acquire({ ...options, readOnly: true });
  }

  /** Returns a connection (the same as `connection.release()`). */
  release(connection: HaConnection, broken = false): void {
    connection.release(broken);
  }

  /**
   * The host pool an acquisition with these options would use now, or undefined (no wait).
   * Writes: the master. Reads: replicas within the lag bounds; else the master with
   * `fallbackMaster`; else the least-lagging replica. The master joins the read candidates
   * with probability `masterAsReplicaWeight`.
   */
  pick(options: AcquireOptions = {}): HostPool | undefined {
    // On the hot path: the lists are computed once per check, in #evaluate.
    const { masters, fresh, freshest } = this.#view;
    if (options.readOnly !== true) return this.#balancer.choose(masters);
    if (fresh.length === 0) {
      const fallback = options.fallbackMaster ?? this.#options.fallbackMaster ?? false;
      return this.#balancer.choose(fallback && masters.length > 0 ? masters : freshest);
    }
    const weight = options.masterAsReplicaWeight ?? this.#options.masterAsReplicaWeight ?? 0;
    if (weight > 0 && masters.length > 0 && Math.random() < weight) {
      return this.#balancer.choose([...fresh, ...masters]);
    }
    return this.#balancer.choose(fresh);
  }

  // ——— waiting (HA-5) ———

  /**
   * Waits until at least `masters` masters and `replicas` replicas are usable; with neither
   * given, until every host is. DependencyUnavailableError after `timeoutMs` (default 10 s).
   */
  async ready(masters?: number, replicas?: number, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const met = () =>
      masters === undefined && replicas === undefined
        ? this.#hosts.every((h) => h.role === 'master' || h.role === 'replica')
        : this.#view.masters.length >= (masters ?? 0) &&
          this.#view.replicas.length >= (replicas ?? 0);
    while (!met()) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 || this.#closed) {
        const wanted =
          masters === undefined && replicas === undefined
            ? 'every host'
            : `${masters ?? 0} master(s) and ${replicas ?? 0} replica(s)`;
        throw new DependencyUnavailableError(
          `Database cluster not ready within ${timeoutMs} ms: wanted ${wanted}; ${this.#summary()}`,
        );
      }
      await this.#nextChange(remaining);
    }
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

  /** Waits until every host has been checked once more (DependencyUnavailableError after the timeout). */
  async waitNextPoolCheck(timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const target = this.#hosts.map((h) => h.pool.checks + 1);
    while (this.#hosts.some((h, i) => h.pool.checks < (target[i] as number))) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 || this.#closed) {
        throw new DependencyUnavailableError(`No complete pool check within ${timeoutMs} ms`);
      }
      await this.#nextChange(remaining);
    }
  }

  // ——— pools (HA-6) ———

  /** Every host pool, in host-list order. */
  get pools(): readonly HostPool[] {
    return this.#hosts.map((h) => h.pool);
  }

  /** The pool the balancer would choose now (no waiting). */
  getPool(readOnly = false, fallbackMaster?: boolean): HostPool | undefined {
    return this.pick({ readOnly, ...(fallbackMaster === undefined ? {} : { fallbackMaster }) });
  }

  /** The usable master's pool (none during a contested split brain). */
  getMasterPools(): HostPool[] {
    return [...this.#view.masters];
  }

  /** Usable replicas' pools; with `fallbackMaster` the master's when there is no replica. */
  getReplicaPools(fallbackMaster = false): HostPool[] {
    const { masters, replicas } = this.#view;
    return [...(replicas.length === 0 && fallbackMaster ? masters : replicas)];
  }

  poolIsMaster(pool: HostPool): boolean {
    return this.roleOf(pool) === 'master';
  }

  poolIsReplica(pool: HostPool): boolean {
    return this.roleOf(pool) === 'replica';
  }

  roleOf(pool: HostPool): EffectiveRole {
    return this.#hosts.find((h) => h.pool === pool)?.role ?? 'unavailable';
  }

  getPoolFreesize(pool: HostPool): number {
    return pool.freeSize;
  }

  /** The host's newest health-check response time in ms. */
  getLastResponseTime(pool: HostPool): number | undefined {
    return pool.stopwatch.last;
  }

  // ——— observing (HA-13) ———

  /** Listens to role changes and split brains; returns the function that stops listening. */
  onEvent(listener: (event: PoolManagerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  metrics(): HostMetrics[] {
    const master = this.#view.masters[0];
    return this.#hosts.map(({ pool, role, roleChanges }) => {
      const stats = pool.driver.stats;
      const replica = pool.status?.role === 'replica';
      return {
        host: pool.address,
        role,
        free: pool.freeSize,
        used: stats.total - stats.idle,
        waiting: stats.waiting,
        medianResponseTime: pool.stopwatch.median(),
        lastResponseTime: pool.stopwatch.last,
        lagBytes: replica ? this.#lagBytes(pool, master) : undefined,
        lagSeconds: replica ? pool.status?.replayDelaySeconds : undefined,
        roleChanges,
      };
    });
  }

  // ——— closing (HA-9) ———

  /** Stops checking and closes every pool once its connections are returned. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#view = NO_HOSTS;
    for (const h of this.#hosts) clearTimeout(h.timer);
    this.#changed.resolve();
    await Promise.all(this.#hosts.map((h) => h.pool.close()));
  }

  /** Closes at once: connections in use are retired and closed as they come back. */
  async terminate(): Promise<void> {
    for (const h of this.#hosts) h.pool.driver.discardConnections();
    await this.close();
  }

  // ——— internals ———

  #watch(host: HostState): void {
    const delay = this.#options.refreshDelayMs ?? DEFAULTS.refreshDelayMs;
    const timeout = this.#options.refreshTimeoutMs ?? DEFAULTS.refreshTimeoutMs;
    host.check = async () => {
      if (this.#closed || host.checking) return;
      clearTimeout(host.timer);
      host.checking = true;
      try {
        await host.pool.check(timeout);
      } finally {
        host.checking = false;
      }
      if (this.#closed) return;
      this.#evaluate();
      this.#schedule(host, this.#waiters > 0 ? Math.min(delay, HURRIED_DELAY_MS) : delay);
    };
    void host.check();
  }

  #schedule(host: HostState, delayMs: number): void {
    clearTimeout(host.timer);
    // Unref'd: checks alone do not keep a process alive.
    host.timer = setTimeout(host.check, delayMs);
    host.timer.unref();
    host.dueAt = performance.now() + delayMs;
  }

  /**
   * A caller starts waiting for a host of some role: until none waits, hosts are checked
   * every HURRIED_DELAY_MS, so a promoted replica is found well before the next usual check.
   */
  #hurry(): void {
    if (this.#waiters++ > 0) return;
    const delay = this.#options.refreshDelayMs ?? DEFAULTS.refreshDelayMs;
    if (delay <= HURRIED_DELAY_MS) return;
    const soon = performance.now() + HURRIED_DELAY_MS;
    for (const h of this.#hosts) {
      if (!h.checking && h.dueAt > soon) this.#schedule(h, HURRIED_DELAY_MS);
    }
  }

  /** Checks a host at once (unless a check of it is under way), then at its usual pace. */
  #checkNow(pool: HostPool): void {
    const host = this.#hosts.find((h) => h.pool === pool);
    if (host !== undefined) void host.check();
  }

  /** Derives every host's effective role from the latest checks (the split-brain guard). */
  #evaluate(): void {
    const claims = this.#hosts.filter((h) => h.pool.status?.role === 'master');
    for (const h of claims) this.#timeline = Math.max(this.#timeline, h.pool.status?.timeline ?? 0);
    const newest = claims.filter((h) => (h.pool.status?.timeline ?? 0) >= this.#timeline);
    for (const h of this.#hosts) {
      const status = h.pool.status;
      let role: EffectiveRole;
      if (status === undefined) role = 'unavailable';
      else if (status.role === 'replica') role = 'replica';
      else if (!newest.includes(h)) role = 'fenced';
      else role = newest.length > 1 ? 'contested' : 'master';
      if (role !== h.role) {
        const from = h.role;
        h.role = role;
        h.roleChanges++;
        // Connections made under the old role must not serve the new one.
        h.pool.driver.discardConnections();
        this.#emit({ type: 'role-change', host: h.pool.address, from, to: role });
      }
    }
    this.#view = this.#viewOfRoles();
    const claimants = claims.map((h) => h.pool.address);
    if (claimants.join() !== this.#claimants) {
      this.#claimants = claimants.join();
      if (claimants.length > 1) {
        const master = this.#view.masters[0]?.address;
        this.#emit({
          type: 'split-brain',
          hosts: claimants,
          ...(master === undefined ? {} : { master }),
        });
      }
    }
    const changed = this.#changed;
    this.#changed = deferred();
    changed.resolve();
  }

  /** The candidate lists `pick` chooses from, as of the latest checks. */
  #viewOfRoles(): RoleView {
    const masters: HostPool[] = [];
    const replicas: HostPool[] = [];
    for (const h of this.#hosts) {
      if (h.role === 'master') masters.push(h.pool);
      else if (h.role === 'replica') replicas.push(h.pool);
    }
    const fresh = replicas.filter((r) => !this.#lagging(r, masters[0]));
    const freshest = fresh.length > 0 ? fresh : this.#freshest(replicas, masters[0]);
    return { masters, replicas, fresh, freshest };
  }

  #emit(event: PoolManagerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the checks go on.
      }
    }
  }

  #lagBytes(replica: HostPool, master: HostPool | undefined): number | undefined {
    const at = master?.status?.lsn;
    const replayed = replica.status?.lsn;
    if (at === undefined || replayed === undefined) return undefined;
    return at > replayed ? Number(at - replayed) : 0;
  }

  #lagging(replica: HostPool, master: HostPool | undefined): boolean {
    const { maxLagBytes, maxLagSeconds } = this.#options;
    if (maxLagSeconds !== undefined && (replica.status?.replayDelaySeconds ?? 0) > maxLagSeconds) {
      return true;
    }
    if (maxLagBytes === undefined) return false;
    return (this.#lagBytes(replica, master) ?? 0) > maxLagBytes;
  }

  /** The least-lagging replicas (ties kept for the balancer). */
  #freshest(replicas: HostPool[], master: HostPool | undefined): HostPool[] {
    let best: HostPool[] = [];
    let bestLag = Number.POSITIVE_INFINITY;
    for (const r of replicas) {
      const lag = (this.#lagBytes(r, master) ?? 0) + (r.status?.replayDelaySeconds ?? 0) * 1e9;
      if (lag < bestLag) {
        best = [r];
        bestLag = lag;
      } else if (lag === bestLag) best.push(r);
    }
    return best;
  }

  #nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void this.#changed.promise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Each host and its role, for error messages (addresses only, never credentials). */
  #summary(): string {
    return this.#hosts.map((h) => `${h.pool.address} ${h.role}`).join(', ');
  }

  #unavailable(
    options: AcquireOptions,
    timeout: number,
    cause: unknown,
  ): DependencyUnavailableError {
    const wanted = options.readOnly === true ? 'replica' : 'master';
    return new DependencyUnavailableError(
      `No ${wanted} connection within ${timeout} ms (${this.#summary()})`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Each numeric option and the least value it accepts (all must be finite). */
const NUMBER_MINIMUMS = {
  acquireTimeoutMs: 0,
  refreshDelayMs: 1,
  refreshTimeoutMs: 1,
  stopwatchWindowSize: 1,
  maxLagBytes: 0,
  maxLagSeconds: 0,
} as const;

function checkNumbers(options: PoolManagerOptions): void {
  for (const [key, min] of Object.entries(NUMBER_MINIMUMS)) {
    const value = options[key as keyof typeof NUMBER_MINIMUMS];
    if (value !== undefined && !(Number.isFinite(value) && value >= min)) {
      invalidOption('PoolManager', key, `must be a finite number, ${min} or more`);
    }
  }
  const weight = options.masterAsReplicaWeight ?? 0;
  if (!(weight >= 0 && weight <= 1)) {
    invalidOption('PoolManager', 'masterAsReplicaWeight', 'must be between 0 and 1');
  }
}

const ACQUIRE_KEYS = new Set(['readOnly', 'fallbackMaster', 'masterAsReplicaWeight', 'timeout']);

function checkAcquireOptions(options: AcquireOptions): void {
  rejectUnknownKeys('acquire', options, ACQUIRE_KEYS);
  const { timeout, masterAsReplicaWeight: weight } = options;
  if (timeout !== undefined && !(timeout >= 0 && Number.isFinite(timeout))) {
    invalidOption('acquire', 'timeout', 'must be a number of milliseconds, 0 or more');
  }
  if (weight !== undefined && !(weight >= 0 && weight <= 1)) {
    invalidOption('acquire', 'masterAsReplicaWeight', 'must be between 0 and 1');
  }
}

function balancerOf(policy: BalancerPolicyName | BalancerPolicy): BalancerPolicy {
  if (typeof policy === 'object') return policy;
  if (policy === 'greedy') return new GreedyBalancer();
  if (policy === 'random_weighted') return new RandomWeightedBalancer();
  if (policy === 'round_robin') return new RoundRobinBalancer();
  return invalidOption(
    'PoolManager',
    'balancer',
    `"${String(policy)}" is not one of greedy, random_weighted, round_robin`,
  );
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
