/**
 * A host changed role (`master`, `replica`, `fenced`: a master on an older timeline than
 * another, `contested`, `unavailable`): the HA manager's `role-change` event.
 */
export interface HostRoleChange {
  readonly type: 'role-change';
  readonly host: string;
  readonly from: string;
  readonly to: string;
}

/** Several hosts report master; `master` is the one taking writes, absent while none does. */
export interface SplitBrain {
  readonly type: 'split-brain';
  readonly hosts: readonly string[];
  readonly master?: string | undefined;
}

/** A host was refused as master (an older timeline seen, at start or later): why, in words. */
export interface HostFenced {
  readonly type: 'fencing';
  readonly host: string;
  readonly reason: string;
}

/** A check of a host failed; the error's message names the host and the reason. */
export interface HostFailure {
  readonly type: 'error';
  readonly host: string;
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * What a backend reports as it runs, for `PostgresService` to log (`BackendContext.onEvent`):
 * the HA manager's events are of these shapes, so `manager.onEvent(context.onEvent)` is the
 * whole wiring. Failovers are not reported apart: the service sees them as a new master.
 */
export type BackendEvent = HostRoleChange | SplitBrain | HostFenced | HostFailure;
