import type { BalancerCandidate, BalancerPolicy } from './balancer-policy.js';

/** The pool with the most free connections; a random one among equals. */
export class GreedyBalancer implements BalancerPolicy {
  choose<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    if (candidates.length <= 1) return candidates[0];
    let best = -1;
    let ties = 0;
    let chosen: T | undefined;
    for (const c of candidates) {
      if (c.freeSize > best) {
        best = c.freeSize;
        ties = 1;
        chosen = c;
      } else if (c.freeSize === best && Math.random() * ++ties < 1) {
        // Reservoir sampling: each of the tied pools ends up chosen with equal chance.
        chosen = c;
      }
    }
    return chosen;
  }
}
