import { checkMinimums, invalidOption, rejectUnknownKeys } from '../../errors/invalid-option.js';
import type { PgPoolOptions } from '../pg-pool.js';
import { POOL_DEFAULTS } from '../pool-defaults.js';
import type { BalancerPolicy, BalancerPolicyName } from './balancer-policy.js';

/** Pool settings applied to every host's pool (size, timeouts, prepared statements, init hook). */
export type HostPoolOptions = Omit<
  PgPoolOptions,
  'connectionString' | 'host' | 'port' | 'user' | 'password' | 'database'
>;

/**
 * Settings of a {@link PoolManager}. Durations in milliseconds; every default is in
 * {@link POOL_MANAGER_DEFAULTS}.
 *
 * @example
 * await PoolManager.create({ hosts: ['db1:5432', 'db2:5432'], user: 'app', refreshDelayMs: 500 });
 */
export interface PoolManagerOptions {
  /**
   * `postgresql://user:password@h1:5432,h2:5433,h3/db`: a host without a port takes 5432,
   * except that a port on the last host only applies to every host (hasql's rules).
   */
  readonly dsn?: string;
  /** `host:port` of every host, instead of (or over) the DSN's. */
  readonly hosts?: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Default limit on `acquire`, waiting for a suitable host included. */
  readonly acquireTimeoutMs?: number;
  /** Pause between two checks of a host. */
  readonly refreshDelayMs?: number;
  /** Limit on one check, connecting included. */
  readonly refreshTimeoutMs?: number;
  /** Reads may use the master when no replica is available. */
  readonly fallbackMaster?: boolean;
  /** Chance (0–1) that the master joins the replicas as a candidate for a read. */
  readonly masterAsReplicaWeight?: number;
  /** `greedy`, `random_weighted`, `round_robin`, or a policy of your own. */
  readonly balancer?: BalancerPolicyName | BalancerPolicy;
  /** Response times kept per host for the median. */
  readonly stopwatchWindowSize?: number;
  /** A replica further behind the master than this many WAL bytes is lagging (no bound by default). */
  readonly maxLagBytes?: number;
  /** A replica whose replay is this many seconds behind is lagging (no bound by default). */
  readonly maxLagSeconds?: number;
  /** Per-host pool settings (size, timeouts, prepared statements, TLS, init hook). */
  readonly pool?: HostPoolOptions;
}

/** Per-call options of `acquire`; what is not given comes from the manager's options. */
export interface AcquireOptions {
  /** A replica (true) or the master (false, default). */
  readonly readOnly?: boolean;
  readonly fallbackMaster?: boolean;
  readonly masterAsReplicaWeight?: number;
  /** Milliseconds to wait for a suitable host and a free connection. */
  readonly timeout?: number;
}

/** The defaults of {@link PoolManagerOptions}, plus how long `ready()` waits when not told. */
export interface PoolManagerDefaults {
  readonly acquireTimeoutMs: number;
  readonly refreshDelayMs: number;
  readonly refreshTimeoutMs: number;
  readonly fallbackMaster: boolean;
  readonly masterAsReplicaWeight: number;
  readonly stopwatchWindowSize: number;
  readonly balancer: BalancerPolicyName;
  /** `ready()`, `waitAllReady()`, `waitNextPoolCheck()` without a timeout. */
  readonly readyTimeoutMs: number;
}

/**
 * Every default of the HA pool manager, written once: the manager, `PostgresService`'s HA
 * backend and the docs read them from here.
 */
export const POOL_MANAGER_DEFAULTS: PoolManagerDefaults = Object.freeze({
  acquireTimeoutMs: POOL_DEFAULTS.acquireTimeoutMs,
  refreshDelayMs: 1_000,
  refreshTimeoutMs: 1_000,
  fallbackMaster: false,
  masterAsReplicaWeight: 0,
  stopwatchWindowSize: 128,
  balancer: 'greedy',
  readyTimeoutMs: 10_000,
});

/** The options with every default applied, as the manager's parts use them. */
export interface ResolvedPoolManagerOptions
  extends Omit<PoolManagerDefaults, 'balancer' | 'readyTimeoutMs'> {
  readonly balancer: BalancerPolicyName | BalancerPolicy;
  readonly maxLagBytes: number | undefined;
  readonly maxLagSeconds: number | undefined;
}

const OPTION_KEYS: ReadonlySet<keyof PoolManagerOptions> = new Set<keyof PoolManagerOptions>([
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

/** Each numeric option and the least value it accepts (all must be finite). */
const NUMBER_MINIMUMS = {
  acquireTimeoutMs: 0,
  refreshDelayMs: 1,
  refreshTimeoutMs: 1,
  stopwatchWindowSize: 1,
  maxLagBytes: 0,
  maxLagSeconds: 0,
} as const;

/**
 * Checks the options (unknown keys, numbers out of range) and applies the defaults; throws
 * UsageError `INVALID_OPTION` naming the option.
 */
export function resolvePoolManagerOptions(options: PoolManagerOptions): ResolvedPoolManagerOptions {
  rejectUnknownKeys('PoolManager', options, OPTION_KEYS);
  checkMinimums('PoolManager', options, NUMBER_MINIMUMS);
  checkWeight('PoolManager', options.masterAsReplicaWeight);
  const d = POOL_MANAGER_DEFAULTS;
  return {
    acquireTimeoutMs: options.acquireTimeoutMs ?? d.acquireTimeoutMs,
    refreshDelayMs: options.refreshDelayMs ?? d.refreshDelayMs,
    refreshTimeoutMs: options.refreshTimeoutMs ?? d.refreshTimeoutMs,
    fallbackMaster: options.fallbackMaster ?? d.fallbackMaster,
    masterAsReplicaWeight: options.masterAsReplicaWeight ?? d.masterAsReplicaWeight,
    stopwatchWindowSize: options.stopwatchWindowSize ?? d.stopwatchWindowSize,
    balancer: options.balancer ?? d.balancer,
    maxLagBytes: options.maxLagBytes,
    maxLagSeconds: options.maxLagSeconds,
  };
}

const ACQUIRE_KEYS: ReadonlySet<keyof AcquireOptions> = new Set<keyof AcquireOptions>([
  'readOnly',
  'fallbackMaster',
  'masterAsReplicaWeight',
  'timeout',
]);

/** Checks the options of one `acquire` call (UsageError `INVALID_OPTION`). */
export function checkAcquireOptions(options: AcquireOptions): void {
  rejectUnknownKeys('acquire', options, ACQUIRE_KEYS);
  const { timeout } = options;
  if (timeout !== undefined && !(timeout >= 0 && Number.isFinite(timeout))) {
    invalidOption('acquire', 'timeout', 'must be a number of milliseconds, 0 or more');
  }
  checkWeight('acquire', options.masterAsReplicaWeight);
}

function checkWeight(where: string, weight: number | undefined): void {
  if (weight !== undefined && !(weight >= 0 && weight <= 1)) {
    invalidOption(where, 'masterAsReplicaWeight', 'must be between 0 and 1');
  }
}
