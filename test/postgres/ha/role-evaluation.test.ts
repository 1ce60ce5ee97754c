import { POOL_MANAGER_DEFAULTS, RoundRobinBalancer } from 'libretto/postgres/ha';
import { describe, expect, it } from 'vitest';
import { pickHost } from '../../../src/postgres/ha/connection-acquirer.js';
import type { HostStatus } from '../../../src/postgres/ha/host-check.js';
import {
  type EffectiveRole,
  evaluateRoles,
  type RoleEvaluationInput,
} from '../../../src/postgres/ha/role-evaluation.js';

// Role evaluation is a pure function of what the checks found: no server needed.

interface Host {
  readonly index: number;
  readonly address: string;
  readonly status: HostStatus | undefined;
  readonly freeSize: number;
  readonly medianResponseTime: number | undefined;
}

let next = 0;
function host(status: HostStatus | undefined): Host {
  const index = next++;
  return { index, address: `h${index}:5432`, status, freeSize: 1, medianResponseTime: 1 };
}
const master = (timeline: number, lsn = 1_000n): HostStatus => ({
  role: 'master',
  timeline,
  lsn,
  replayDelaySeconds: 0,
});
const replica = (lsn = 1_000n, replayDelaySeconds = 0): HostStatus => ({
  role: 'replica',
  timeline: undefined,
  lsn,
  replayDelaySeconds,
});

function evaluate(hosts: Host[], more: Partial<RoleEvaluationInput<Host>> = {}) {
  return evaluateRoles<Host>({
    hosts,
    roles: hosts.map((): EffectiveRole => 'unavailable'),
    timeline: 0,
    claimants: [],
    ...more,
  });
}

describe('evaluateRoles', () => {
  it('no first master before every host is checked once; then the older timeline is fenced', () => {
    next = 0;
    // h0 (a thawed old master) answered; h1 (the promoted one) not yet.
    const oldOnly = [host(master(1)), host(undefined)];
    const early = evaluate(oldOnly, { settled: false });
    expect(early.roles).toEqual(['unavailable', 'unavailable']);
    expect(early.view.masters).toEqual([]);
    expect(early.events).toEqual([]);
    // Both checked: the newer timeline wins, the old master is fenced — never chosen.
    next = 0;
    const both = [host(master(1)), host(master(2))];
    const settled = evaluate(both, { settled: true, roles: early.roles });
    expect(settled.roles).toEqual(['fenced', 'master']);
    expect(settled.view.masters).toEqual([both[1]]);
    expect(settled.events).toContainEqual({
      type: 'fencing',
      host: 'h0:5432',
      reason: 'reports master on timeline 1, older than h1:5432 on timeline 2',
    });
    // Replicas serve reads before: only the choice of a master waits.
    next = 0;
    const withReplica = evaluate([host(replica()), host(undefined)], { settled: false });
    expect(withReplica.roles).toEqual(['replica', 'unavailable']);
  });

  it('a single master and its replicas; every first role is reported as a change', () => {
    next = 0;
    const hosts = [host(master(1)), host(replica()), host(replica())];
    const { roles, view, events, timeline } = evaluate(hosts);
    expect(roles).toEqual(['master', 'replica', 'replica']);
    expect(view.masters).toEqual([hosts[0]]);
    expect(view.replicas).toEqual([hosts[1], hosts[2]]);
    expect(view.fresh).toEqual([hosts[1], hosts[2]]);
    expect(timeline).toBe(1);
    expect(events).toEqual([
      { type: 'role-change', host: 'h0:5432', from: 'unavailable', to: 'master' },
      { type: 'role-change', host: 'h1:5432', from: 'unavailable', to: 'replica' },
      { type: 'role-change', host: 'h2:5432', from: 'unavailable', to: 'replica' },
    ]);
    // Nothing changed: nothing to report.
    expect(evaluate(hosts, { roles, timeline }).events).toEqual([]);
  });

  it('a host whose check failed is unavailable and no candidate', () => {
    next = 0;
    const hosts = [host(master(1)), host(undefined), host(replica())];
    const { roles, view, events } = evaluate(hosts, { roles: ['master', 'replica', 'replica'] });
    expect(roles).toEqual(['master', 'unavailable', 'replica']);
    expect(view.replicas).toEqual([hosts[2]]);
    expect(events).toEqual([
      { type: 'role-change', host: 'h1:5432', from: 'replica', to: 'unavailable' },
    ]);
  });

  it('two masters on different timelines: the older is fenced, the newer takes writes', () => {
    next = 0;
    const hosts = [host(master(1)), host(master(2)), host(replica())];
    const result = evaluate(hosts, { roles: ['master', 'replica', 'replica'], timeline: 1 });
    expect(result.roles).toEqual(['fenced', 'master', 'replica']);
    expect(result.view.masters).toEqual([hosts[1]]);
    expect(result.timeline).toBe(2);
    expect(result.claimants).toEqual(['h0:5432', 'h1:5432']);
    expect(result.events).toEqual([
      { type: 'role-change', host: 'h0:5432', from: 'master', to: 'fenced' },
      {
        type: 'fencing',
        host: 'h0:5432',
        reason: 'reports master on timeline 1, older than h1:5432 on timeline 2',
      },
      { type: 'role-change', host: 'h1:5432', from: 'replica', to: 'master' },
      { type: 'split-brain', hosts: ['h0:5432', 'h1:5432'], master: 'h1:5432' },
    ]);
    // The same claimants again: the split brain is not reported twice.
    const again = evaluate(hosts, {
      roles: result.roles,
      timeline: result.timeline,
      claimants: result.claimants,
    });
    expect(again.events).toEqual([]);
  });

  it('a master on a timeline older than one seen before stays fenced, even alone', () => {
    next = 0;
    // The new master went away; the old one still claims the role on its old timeline.
    const hosts = [host(master(1)), host(undefined)];
    const { roles, view, events } = evaluate(hosts, { roles: ['fenced', 'master'], timeline: 2 });
    expect(events.filter((e) => e.type === 'fencing')).toEqual([]); // fenced before: not news
    expect(roles).toEqual(['fenced', 'unavailable']);
    expect(view.masters).toEqual([]);
    // Seen master before, now behind a timeline whose master is gone: fenced, and told why.
    next = 0;
    const alone = evaluate([host(master(1)), host(undefined)], {
      roles: ['master', 'unavailable'],
      timeline: 2,
    });
    expect(alone.events).toContainEqual({
      type: 'fencing',
      host: 'h0:5432',
      reason: 'reports master on timeline 1, older than timeline 2 seen before',
    });
    // Once it reports a timeline at least as new (rewound and promoted), it is the master.
    const back = evaluate([host(master(3))], { roles: ['fenced'], timeline: 2 });
    expect(back.roles).toEqual(['master']);
  });

  it('two masters on the same timeline contest the role: no master until one yields', () => {
    next = 0;
    const hosts = [host(undefined), host(master(2)), host(master(2))];
    const { roles, view, events } = evaluate(hosts, {
      roles: ['unavailable', 'replica', 'replica'],
      timeline: 1,
    });
    expect(roles).toEqual(['unavailable', 'contested', 'contested']);
    expect(view.masters).toEqual([]);
    expect(events.at(-1)).toEqual({ type: 'split-brain', hosts: ['h1:5432', 'h2:5432'] });
    // One yields (gone): the other is the master.
    const yielded = evaluate([hosts[1] as Host, host(undefined)], {
      roles: ['contested', 'contested'],
      timeline: 2,
      claimants: ['h1:5432', 'h2:5432'],
    });
    expect(yielded.roles).toEqual(['master', 'unavailable']);
  });

  it('lag bounds: replicas within them are fresh; with none, the least lagging are the freshest', () => {
    next = 0;
    const hosts = [
      host(master(1, 10_000n)),
      host(replica(9_900n)), // 100 bytes behind
      host(replica(5_000n)), // 5000 bytes behind
      host(replica(10_000n, 30)), // caught up in bytes, 30 s of replay delay
    ];
    const bytes = evaluate(hosts, { maxLagBytes: 1_000 });
    expect(bytes.view.fresh).toEqual([hosts[1], hosts[3]]);
    expect(bytes.view.freshest).toEqual(bytes.view.fresh);
    const seconds = evaluate(hosts, { maxLagSeconds: 10 });
    expect(seconds.view.fresh).toEqual([hosts[1], hosts[2]]);
    const both = evaluate(hosts, { maxLagBytes: 1_000, maxLagSeconds: 10 });
    expect(both.view.fresh).toEqual([hosts[1]]);
    // None within the bounds: the least lagging (a second of delay outweighs any byte lag here).
    const none = evaluate(hosts, { maxLagBytes: 10, maxLagSeconds: 10 });
    expect(none.view.fresh).toEqual([]);
    expect(none.view.freshest).toEqual([hosts[1]]);
    expect(none.view.replicas).toHaveLength(3);
  });

  it('lag ties are kept for the balancer', () => {
    next = 0;
    const hosts = [host(master(1, 10_000n)), host(replica(5_000n)), host(replica(5_000n))];
    expect(evaluate(hosts, { maxLagBytes: 10 }).view.freshest).toEqual([hosts[1], hosts[2]]);
  });
});

describe('pickHost', () => {
  next = 0;
  const hosts = [host(master(1, 10_000n)), host(replica(9_999n)), host(replica(1n))];
  const [m, fresh, lagging] = hosts as [Host, Host, Host];
  const first = { choose: <T>(candidates: readonly T[]) => candidates[0] };
  const { fallbackMaster, masterAsReplicaWeight } = POOL_MANAGER_DEFAULTS;
  const d = { fallbackMaster, masterAsReplicaWeight };

  it('writes go to the master; reads to a fresh replica', () => {
    const { view } = evaluate(hosts, { maxLagBytes: 100 });
    expect(pickHost(view, first, {}, d)).toBe(m);
    expect(pickHost(view, first, { readOnly: true }, d)).toBe(fresh);
  });

  it('fallback: with no fresh replica, the master when allowed, else the least lagging', () => {
    const { view } = evaluate([m, lagging], { maxLagBytes: 100 });
    expect(pickHost(view, first, { readOnly: true }, d)).toBe(lagging);
    expect(pickHost(view, first, { readOnly: true }, { ...d, fallbackMaster: true })).toBe(m);
    // The call's own option wins over the manager's.
    expect(
      pickHost(
        view,
        first,
        { readOnly: true, fallbackMaster: false },
        { ...d, fallbackMaster: true },
      ),
    ).toBe(lagging);
    const noReplica = evaluate([m]).view;
    expect(pickHost(noReplica, first, { readOnly: true }, d)).toBeUndefined();
    expect(pickHost(noReplica, first, { readOnly: true, fallbackMaster: true }, d)).toBe(m);
  });

  it('masterAsReplicaWeight: the master joins the read candidates when the draw is under it', () => {
    const { view } = evaluate(hosts, { maxLagBytes: 100 });
    const rr = new RoundRobinBalancer();
    const picks = [0, 1].map(() =>
      pickHost(view, rr, { readOnly: true }, { ...d, masterAsReplicaWeight: 0.5 }, () => 0.2),
    );
    expect(picks).toEqual([m, fresh]);
    expect(
      pickHost(view, first, { readOnly: true, masterAsReplicaWeight: 0.5 }, d, () => 0.7),
    ).toBe(fresh);
  });

  it('no master: writes get nothing, never a replica', () => {
    const { view } = evaluate([fresh, lagging]);
    expect(pickHost(view, first, {}, { ...d, fallbackMaster: true })).toBeUndefined();
  });
});
