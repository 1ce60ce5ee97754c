import type { LibrettoError } from '../../errors/libretto-error.js';
import type { FencingEvent, RoleChangeEvent, SplitBrainEvent } from './role-evaluation.js';

/**
 * A check of a host went wrong, or its idle check connection failed: `error` is typed
 * (`HA_CHECK_FAILED`, `HA_CHECK_TIMEOUT`, `HA_CHECK_CONNECTION_LOST`) and its message names
 * the host and the reason, never credentials. A host that stays down is reported once per
 * distinct failure, not at every check.
 */
export interface HostErrorEvent {
  readonly type: 'error';
  readonly host: string;
  readonly error: LibrettoError;
}

/**
 * What the manager reports as it happens (`manager.onEvent(listener)`): role changes, fencing,
 * split brains, and errors of the checks that would otherwise go unseen.
 *
 * @example
 * manager.onEvent((event) => {
 *   if (event.type === 'error') logger.warn({ host: event.host, code: event.error.code }, event.error.message);
 * });
 */
export type PoolManagerEvent = RoleChangeEvent | FencingEvent | SplitBrainEvent | HostErrorEvent;

/** Hears the manager's events. */
export type PoolManagerListener = (event: PoolManagerEvent) => void;
