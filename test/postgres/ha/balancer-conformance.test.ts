import type { BalancerCandidate, BalancerPolicy, BalancerPolicyName } from 'libretto/postgres/ha';
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/postgres/ha/create-balancer.js';

// What every balancer policy must do, whatever it prefers: the built-in ones by name, and a
// policy of the application's own given as an object. Each policy's own preferences are
// tested in balancers.test.ts.

/** A policy of one's own: the fastest host by median check time, the first among equals. */
const fastest: BalancerPolicy = {
  choose<T extends BalancerCandidate>(candidates: readonly T[]): T | undefined {
    let best: T | undefined;
    for (const c of candidates) {
      const median = c.medianResponseTime ?? Number.POSITIVE_INFINITY;
      if (best === undefined || median < (best.medianResponseTime ?? Number.POSITIVE_INFINITY)) {
        best = c;
      }
    }
    return best;
  },
};

interface Case {
  readonly name: string;
  readonly policy: BalancerPolicyName | BalancerPolicy;
  /** Spreads picks over equal candidates (the object policy promises no such thing). */
  readonly spreads: boolean;
}

const CASES: readonly Case[] = [
  { name: 'greedy', policy: 'greedy', spreads: true },
  { name: 'random_weighted', policy: 'random_weighted', spreads: true },
  { name: 'round_robin', policy: 'round_robin', spreads: true },
  { name: 'a policy given as an object', policy: fastest, spreads: false },
];

interface Host extends BalancerCandidate {
  readonly name: string;
}

const host = (index: number, freeSize: number, medianResponseTime?: number): Host => ({
  name: `h${index}`,
  index,
  freeSize,
  medianResponseTime,
});

/** A deterministic stream of numbers in [0, 1), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.each(CASES)('balancer policy: $name', ({ policy, spreads }) => {
  const make = () => createBalancer(policy);

  it('chooses nothing from no candidates', () => {
    expect(make().choose([])).toBeUndefined();
  });

  it('chooses the only candidate there is', () => {
    const only = host(3, 0);
    const balancer = make();
    for (let i = 0; i < 5; i++) expect(balancer.choose([only])).toBe(only);
  });

  it('always chooses one of the candidates, the object itself', () => {
    const balancer = make();
    const random = seeded(12);
    for (let round = 0; round < 500; round++) {
      const count = 1 + Math.floor(random() * 5);
      const candidates = Array.from({ length: count }, (_, i) =>
        host(
          Math.floor(random() * 8) * 10 + i,
          Math.floor(random() * 4),
          random() < 0.3 ? undefined : random() * 5,
        ),
      );
      expect(candidates).toContain(balancer.choose(candidates));
    }
  });

  it('never throws on equal or unmeasured medians, zero medians or no free connection', () => {
    const balancer = make();
    const sets: Host[][] = [
      [host(0, 0), host(1, 0)],
      [host(0, 0, 0), host(1, 0, 0)],
      [host(0, 2, 1), host(1, 2, 1), host(2, 2, 1)],
      [host(0, 0, undefined), host(1, 5, 0), host(2, 0, 3)],
    ];
    for (const candidates of sets) {
      for (let i = 0; i < 20; i++) expect(candidates).toContain(balancer.choose(candidates));
    }
  });

  it.runIf(spreads)('spreads picks over equal candidates', () => {
    const balancer = make();
    const candidates = [host(0, 4, 1), host(1, 4, 1), host(2, 4, 1)];
    const counts = new Map<string, number>();
    for (let i = 0; i < 3_000; i++) {
      const chosen = balancer.choose(candidates);
      if (chosen !== undefined) counts.set(chosen.name, (counts.get(chosen.name) ?? 0) + 1);
    }
    for (const c of candidates) expect(counts.get(c.name)).toBeGreaterThan(800);
  });
});

describe('createBalancer', () => {
  it('makes a policy of its own per manager, and takes a policy object as it is', () => {
    expect(createBalancer('round_robin')).not.toBe(createBalancer('round_robin'));
    expect(createBalancer(fastest)).toBe(fastest);
  });
});
