import type { ClusterState } from './cluster-state.js';
import { type EffectiveRole, lagBytes } from './role-evaluation.js';

/** One host's figures, for dashboards and health endpoints. */
export interface HostMetrics {
  /** `host:port`. */
  readonly host: string;
  readonly role: EffectiveRole;
  /** Connections the host's pool can hand out now, in use, and callers waiting for one. */
  readonly free: number;
  readonly used: number;
  readonly waiting: number;
  /** Median and newest health-check response time (ms). */
  readonly medianResponseTime: number | undefined;
  readonly lastResponseTime: number | undefined;
  /** Replicas: WAL bytes behind the master and replay delay in seconds. */
  readonly lagBytes: number | undefined;
  readonly lagSeconds: number | undefined;
  /** Changes of effective role since the manager started (the first check counts). */
  readonly roleChanges: number;
}

/** Every host's figures now, in host-list order. */
export function hostMetrics(state: ClusterState): HostMetrics[] {
  const master = state.view.masters[0];
  return state.hosts.map((pool, index) => {
    const stats = pool.connections.stats;
    const replica = pool.status?.role === 'replica';
    return {
      host: pool.address,
      role: state.roleOf(pool),
      free: pool.freeSize,
      used: stats.total - stats.idle,
      waiting: stats.waiting,
      medianResponseTime: pool.stopwatch.median(),
      lastResponseTime: pool.stopwatch.last,
      lagBytes: replica ? lagBytes(pool, master) : undefined,
      lagSeconds: replica ? pool.status?.replayDelaySeconds : undefined,
      roleChanges: state.roleChangesOf(index),
    };
  });
}
