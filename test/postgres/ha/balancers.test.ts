import { UsageError } from 'libretto';
import {
  type BalancerCandidate,
  GreedyBalancer,
  PoolManager,
  RandomWeightedBalancer,
  RoundRobinBalancer,
  Stopwatch,
} from 'libretto/postgres/ha';
import { describe, expect, it } from 'vitest';

const host = (index: number, freeSize: number, medianResponseTime?: number): BalancerCandidate => ({
  index,
  freeSize,
  medianResponseTime,
});

/** How often each host index is chosen in `n` picks. */
function shares(pick: () => BalancerCandidate | undefined, n: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const chosen = pick();
    if (chosen !== undefined) counts.set(chosen.index, (counts.get(chosen.index) ?? 0) + 1);
  }
  return counts;
}

describe('balancer policies: what each promises', () => {
  it('greedy takes the pool with most free connections, a random one among equals', () => {
    const greedy = new GreedyBalancer();
    expect(greedy.choose([host(0, 2), host(1, 7), host(2, 5)])?.index).toBe(1);
    const counts = shares(() => greedy.choose([host(0, 3), host(1, 1), host(2, 3)]), 4000);
    expect(counts.get(1)).toBeUndefined();
    expect(counts.get(0)).toBeGreaterThan(1700);
    expect(counts.get(2)).toBeGreaterThan(1700);
  });

  it('random weighted picks in inverse proportion to the median response time', () => {
    const weighted = new RandomWeightedBalancer();
    const candidates = [host(0, 1, 1), host(1, 1, 3)];
    const counts = shares(() => weighted.choose(candidates), 20_000);
    const fast = (counts.get(0) ?? 0) / 20_000;
    expect(fast).toBeGreaterThan(0.72);
    expect(fast).toBeLessThan(0.78);
  });

  it('random weighted gives hosts not yet measured the average weight', () => {
    const weighted = new RandomWeightedBalancer();
    const counts = shares(() => weighted.choose([host(0, 1), host(1, 1, 2)]), 10_000);
    expect((counts.get(0) ?? 0) / 10_000).toBeGreaterThan(0.45);
    expect((counts.get(0) ?? 0) / 10_000).toBeLessThan(0.55);
  });

  it('round robin goes through the hosts in list order and stays fair when the set changes', () => {
    const rr = new RoundRobinBalancer();
    const all = [host(0, 1), host(1, 1), host(2, 1)];
    expect([1, 2, 3, 4].map(() => rr.choose(all)?.index)).toEqual([0, 1, 2, 0]);
    // Host 1 drops out: the turn moves on to 2, then wraps to 0.
    expect(rr.choose([host(0, 1), host(2, 1)])?.index).toBe(2);
    expect(rr.choose([host(0, 1), host(2, 1)])?.index).toBe(0);
  });
});

describe('balancer by name', () => {
  it('refuses a name it does not know, with a code of its own', async () => {
    const failure = await PoolManager.create({
      hosts: ['127.0.0.1:1'],
      balancer: 'fastest' as never,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UsageError);
    expect(failure).toMatchObject({
      code: 'HA_UNKNOWN_BALANCER',
      message: 'PoolManager: balancer "fastest" is not one of greedy, random_weighted, round_robin',
      details: [{ path: 'balancer' }],
    });
  });
});

describe('Stopwatch', () => {
  it('gives the median of the last window of samples and the newest', () => {
    const watch = new Stopwatch(3);
    expect(watch.median()).toBeUndefined();
    watch.add(10);
    watch.add(1);
    expect(watch.median()).toBe(5.5);
    watch.add(4);
    expect(watch.median()).toBe(4);
    watch.add(100); // 10 leaves the window: 1, 4, 100
    expect(watch.median()).toBe(4);
    watch.add(200); // 1, 4 leave: 100, 200 stay with 4 → 4, 100, 200
    expect(watch.median()).toBe(100);
    expect(watch.last).toBe(200);
  });

  it('refuses a window of less than one sample', () => {
    expect(() => new Stopwatch(0)).toThrow(RangeError);
  });
});
