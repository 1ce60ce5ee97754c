export type { BalancerCandidate, BalancerPolicy, BalancerPolicyName } from './balancer-policy.js';
export { GreedyBalancer } from './greedy-balancer.js';
export { haBackend } from './ha-backend.js';
export { HaConnection } from './ha-connection.js';
export { HaPool } from './ha-pool.js';
export { HostPool, type HostRole, type HostStatus, parseLsn } from './host-pool.js';
export {
  type AcquireOptions,
  type EffectiveRole,
  type HostMetrics,
  type HostPoolOptions,
  PoolManager,
  type PoolManagerEvent,
  type PoolManagerOptions,
} from './pool-manager.js';
export { RandomWeightedBalancer } from './random-weighted-balancer.js';
export { RoundRobinBalancer } from './round-robin-balancer.js';
export { Stopwatch } from './stopwatch.js';
