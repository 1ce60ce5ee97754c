import type { HostRole, HostStatus } from './host-check.js';

/**
 * A host's role as the manager uses it: what it reports, corrected by the split-brain guard
 * (`fenced`: reports master on an older timeline than another master; `contested`: reports
 * master on the same timeline as another), or `unavailable` (its last check failed).
 */
export type EffectiveRole = HostRole | 'fenced' | 'contested' | 'unavailable';

/** A host changed effective role: its connections made under the old role are retired. */
export interface RoleChangeEvent {
  readonly type: 'role-change';
  readonly host: string;
  readonly from: EffectiveRole;
  readonly to: EffectiveRole;
}

/**
 * More than one host reports master. `master` is the one taking writes (the newest
 * timeline); absent while the claimants tie and none does.
 */
export interface SplitBrainEvent {
  readonly type: 'split-brain';
  readonly hosts: readonly string[];
  readonly master?: string;
}

/**
 * A host reporting master was refused the role: it is on an older timeline than another
 * master seen (at start or later). `reason` says so in words, with the timelines and the
 * newer master, e.g. `reports master on timeline 1, older than db2:5432 on timeline 2`.
 */
export interface FencingEvent {
  readonly type: 'fencing';
  readonly host: string;
  readonly reason: string;
}

/** What role evaluation decides to tell: role changes, fencing, a new split brain. */
export type RoleEvent = RoleChangeEvent | FencingEvent | SplitBrainEvent;

/** What role evaluation needs of a host: its address and what its last check found. */
export interface CheckedHost {
  readonly address: string;
  /** Undefined while the host is unreachable. */
  readonly status: HostStatus | undefined;
}

/** Usable hosts by role: the lists a balancer picks from, recomputed after every check. */
export interface RoleView<H> {
  readonly masters: readonly H[];
  readonly replicas: readonly H[];
  /** Replicas within the lag bounds. */
  readonly fresh: readonly H[];
  /** Replicas within the lag bounds; with none, the least-lagging replicas (ties kept). */
  readonly freshest: readonly H[];
}

/** What {@link evaluateRoles} starts from. */
export interface RoleEvaluationInput<H extends CheckedHost> {
  /** Every host, in host-list order. */
  readonly hosts: readonly H[];
  /** Each host's effective role before these checks (same order; `unavailable` at first). */
  readonly roles: readonly EffectiveRole[];
  /** The newest master timeline seen so far (0 before any): a master on an older one is fenced. */
  readonly timeline: number;
  /** The hosts that claimed master at the previous evaluation: a split brain is reported once. */
  readonly claimants: readonly string[];
  /**
   * Whether every host has been checked at least once. Until then no host is made master: a
   * thawed old master that answers first must not win over a promoted one still to answer.
   * Absent: true.
   */
  readonly settled?: boolean;
  /** A replica further behind the master than this many WAL bytes is lagging. */
  readonly maxLagBytes?: number | undefined;
  /** A replica whose replay is this many seconds behind is lagging. */
  readonly maxLagSeconds?: number | undefined;
}

/** What {@link evaluateRoles} decides. */
export interface RoleEvaluation<H> {
  /** Each host's effective role now (host-list order). */
  readonly roles: readonly EffectiveRole[];
  readonly view: RoleView<H>;
  /** The newest master timeline seen, this evaluation included. */
  readonly timeline: number;
  /** The hosts claiming master now. */
  readonly claimants: readonly string[];
  /**
   * Role changes (host-list order; a change to `fenced` followed by its `fencing` event),
   * then a split brain when the claimants changed to several.
   */
  readonly events: readonly RoleEvent[];
}

/** No usable host (before the first check, after `close()`). */
export const NO_HOSTS: RoleView<never> = Object.freeze({
  masters: [],
  replicas: [],
  fresh: [],
  freshest: [],
});

/**
 * Each host's effective role from what the checks found — the split-brain guard — and the
 * candidate lists for acquisitions. Pure: the same input gives the same output, and nothing
 * is changed; the manager applies the result.
 *
 * - A host whose check failed is `unavailable`; one that reports recovery or read-only is a
 *   `replica`.
 * - Of the hosts that report master, those on the newest timeline seen (now or before) are
 *   candidates: one is the `master`; several are all `contested` (no master until one
 *   yields). A claimant on an older timeline is `fenced`. Until every host has been checked
 *   once (`settled`), the candidates stay `unavailable`: timelines are compared across the
 *   whole cluster before a first master is chosen.
 * - Replicas within the lag bounds (bytes behind the master, seconds of replay delay) are
 *   `fresh`; when none is, the least-lagging ones are the `freshest`.
 *
 * @example
 * const { roles, view, events } = evaluateRoles({ hosts, roles: before, timeline, claimants: [] });
 */
export function evaluateRoles<H extends CheckedHost>(
  input: RoleEvaluationInput<H>,
): RoleEvaluation<H> {
  const { hosts } = input;
  let timeline = input.timeline;
  const claims = hosts.filter((h) => h.status?.role === 'master');
  for (const h of claims) timeline = Math.max(timeline, h.status?.timeline ?? 0);
  const newest = claims.filter((h) => (h.status?.timeline ?? 0) >= timeline);

  const events: RoleEvent[] = [];
  const roles = hosts.map((h, i): EffectiveRole => {
    let role: EffectiveRole;
    if (h.status === undefined) role = 'unavailable';
    else if (h.status.role === 'replica') role = 'replica';
    else if (!newest.includes(h)) role = 'fenced';
    else if (input.settled === false) role = 'unavailable';
    else role = newest.length > 1 ? 'contested' : 'master';
    const from = input.roles[i] ?? 'unavailable';
    if (role !== from) events.push({ type: 'role-change', host: h.address, from, to: role });
    if (role === 'fenced' && from !== 'fenced') {
      events.push({ type: 'fencing', host: h.address, reason: fencedBecause(h, newest, timeline) });
    }
    return role;
  });

  const view = viewOf(hosts, roles, input);
  const claimants = claims.map((h) => h.address);
  if (claimants.length > 1 && claimants.join() !== input.claimants.join()) {
    const master = view.masters[0]?.address;
    events.push({
      type: 'split-brain',
      hosts: claimants,
      ...(master === undefined ? {} : { master }),
    });
  }
  return { roles, view, timeline, claimants, events };
}

/** Why a claimant is fenced, in words: its timeline, and the newer master's (or that it was seen before). */
function fencedBecause(h: CheckedHost, newest: readonly CheckedHost[], timeline: number): string {
  const own = h.status?.timeline;
  const at = own === undefined ? 'an older timeline' : `timeline ${own}`;
  const newer = newest[0];
  return newer === undefined
    ? `reports master on ${at}, older than timeline ${timeline} seen before`
    : `reports master on ${at}, older than ${newer.address} on timeline ${timeline}`;
}

/** The candidate lists acquisitions choose from, given each host's effective role. */
function viewOf<H extends CheckedHost>(
  hosts: readonly H[],
  roles: readonly EffectiveRole[],
  bounds: Pick<RoleEvaluationInput<H>, 'maxLagBytes' | 'maxLagSeconds'>,
): RoleView<H> {
  const masters: H[] = [];
  const replicas: H[] = [];
  for (const [i, h] of hosts.entries()) {
    if (roles[i] === 'master') masters.push(h);
    else if (roles[i] === 'replica') replicas.push(h);
  }
  const master = masters[0];
  const fresh = replicas.filter((r) => !lagging(r, master, bounds));
  const freshest = fresh.length > 0 ? fresh : leastLagging(replicas, master);
  return { masters, replicas, fresh, freshest };
}

/** WAL bytes a replica has still to replay to reach the master; undefined without both. */
export function lagBytes(
  replica: CheckedHost,
  master: CheckedHost | undefined,
): number | undefined {
  const at = master?.status?.lsn;
  const replayed = replica.status?.lsn;
  if (at === undefined || replayed === undefined) return undefined;
  return at > replayed ? Number(at - replayed) : 0;
}

function lagging(
  replica: CheckedHost,
  master: CheckedHost | undefined,
  {
    maxLagBytes,
    maxLagSeconds,
  }: Pick<RoleEvaluationInput<CheckedHost>, 'maxLagBytes' | 'maxLagSeconds'>,
): boolean {
  if (maxLagSeconds !== undefined && (replica.status?.replayDelaySeconds ?? 0) > maxLagSeconds) {
    return true;
  }
  if (maxLagBytes === undefined) return false;
  return (lagBytes(replica, master) ?? 0) > maxLagBytes;
}

/** The least-lagging replicas (ties kept for the balancer); a second of delay weighs 1 GB. */
function leastLagging<H extends CheckedHost>(replicas: readonly H[], master: H | undefined): H[] {
  let best: H[] = [];
  let bestLag = Number.POSITIVE_INFINITY;
  for (const r of replicas) {
    const lag = (lagBytes(r, master) ?? 0) + (r.status?.replayDelaySeconds ?? 0) * 1e9;
    if (lag < bestLag) {
      best = [r];
      bestLag = lag;
    } else if (lag === bestLag) best.push(r);
  }
  return best;
}
