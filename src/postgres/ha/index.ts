export type { BalancerCandidate, BalancerPolicy, BalancerPolicyName } from './balancer-policy.js';
export { GreedyBalancer } from './greedy-balancer.js';
export { haBackend } from './ha-backend.js';
export { HaConnection } from './ha-connection.js';
export { HaPool } from './ha-pool.js';
export { type HostRole, type HostStatus, parseLsn } from './host-check.js';
export type { HostMetrics } from './host-metrics.js';
export { HostPool } from './host-pool.js';
export { PoolManager } from './pool-manager.js';
export type {
  HostErrorEvent,
  PoolManagerEvent,
  PoolManagerListener,
} from './pool-manager-event.js';
export {
  type AcquireOptions,
  type HostPoolOptions,
  POOL_MANAGER_DEFAULTS,
  type PoolManagerDefaults,
  type PoolManagerOptions,
} from './pool-manager-options.js';
export { RandomWeightedBalancer } from './random-weighted-balancer.js';
export type {
  EffectiveRole,
  FencingEvent,
  RoleChangeEvent,
  SplitBrainEvent,
} from './role-evaluation.js';
export { RoundRobinBalancer } from './round-robin-balancer.js';
export { Stopwatch } from './stopwatch.js';
