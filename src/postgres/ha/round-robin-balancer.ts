import type { BalancerCandidate, BalancerPolicy } from './balancer-policy.js';

/**
 * Each pool in turn, in host-list order. The turn follows the host list rather than the
 * candidate list, so it stays fair when the set of qualifying hosts changes between calls.
 */
export class RoundRobinBalancer implements BalancerPolicy {
  #last = -1;

  choose<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    let next: T | undefined;
    let first: T | undefined;
    for (const c of candidates) {
      if (first === undefined || c.index < first.index) first = c;
      if (c.index > this.#last && (next === undefined || c.index < next.index)) next = c;
    }
    const chosen = next ?? first;
    if (chosen !== undefined) this.#last = chosen.index;
    return chosen;
  }
}
