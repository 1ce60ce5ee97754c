/** What a balancer sees of a host pool. */
export interface BalancerCandidate {
  /** The host's place in the configured host list. */
  readonly index: number;
  /** Connections it can hand out now without waiting. */
  readonly freeSize: number;
  /** Median response time of its health checks (ms), once measured. */
  readonly medianResponseTime: number | undefined;
}

/**
 * Chooses the host pool for one acquisition among those that qualify. Pluggable:
 * pass any object with `choose` as `balancer`.
 */
export interface BalancerPolicy {
  choose<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined;
}

/** The built-in policies, by their configuration name. */
export type BalancerPolicyName = 'greedy' | 'random_weighted' | 'round_robin';
