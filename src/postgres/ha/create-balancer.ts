import { UsageError } from '../../errors/usage-error.js';
import type { BalancerPolicy, BalancerPolicyName } from './balancer-policy.js';
import { GreedyBalancer } from './greedy-balancer.js';
import { RandomWeightedBalancer } from './random-weighted-balancer.js';
import { RoundRobinBalancer } from './round-robin-balancer.js';

const BUILT_IN: Readonly<Record<BalancerPolicyName, () => BalancerPolicy>> = {
  greedy: () => new GreedyBalancer(),
  random_weighted: () => new RandomWeightedBalancer(),
  round_robin: () => new RoundRobinBalancer(),
};

/**
 * The policy for the `balancer` option: a built-in one by name (a new instance, so that a
 * round robin's turn is the manager's own), or the object given. A name not known throws
 * UsageError `HA_UNKNOWN_BALANCER`.
 *
 * @example
 * createBalancer('round_robin').choose(candidates);
 */
export function createBalancer(policy: BalancerPolicyName | BalancerPolicy): BalancerPolicy {
  if (typeof policy === 'object') return policy;
  if (Object.hasOwn(BUILT_IN, policy)) return BUILT_IN[policy]();
  const message = `"${String(policy)}" is not one of ${Object.keys(BUILT_IN).join(', ')}`;
  throw new UsageError(`PoolManager: balancer ${message}`, {
    code: 'HA_UNKNOWN_BALANCER',
    details: [{ path: 'balancer', message }],
  });
}
