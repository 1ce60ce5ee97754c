import type { BalancerCandidate, BalancerPolicy } from './balancer-policy.js';

/** Below this a median counts as this (a 0 ms median would take every pick). */
const FLOOR_MS = 0.05;

/**
 * A random pool, weighted by the inverse of its median response time: a host answering in
 * 1 ms gets three times the share of one answering in 3 ms. Hosts not measured yet weigh as
 * the average of those that are (all equal when none is).
 */
export class RandomWeightedBalancer implements BalancerPolicy {
  choose<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    if (candidates.length <= 1) return candidates[0];
    const weights = candidates.map((c) =>
      c.medianResponseTime === undefined ? undefined : 1 / Math.max(FLOOR_MS, c.medianResponseTime),
    );
    const known = weights.filter((w): w is number => w !== undefined);
    const fallback = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
    let total = 0;
    const filled = weights.map((w) => {
      total += w ?? fallback;
      return w ?? fallback;
    });
    let point = Math.random() * total;
    for (let i = 0; i < candidates.length; i++) {
      point -= filled[i] as number;
      if (point < 0) return candidates[i];
    }
    return candidates.at(-1);
  }
}
