import {
  DependencyTimeoutError,
  DependencyUnavailableError,
} from '../../errors/application-errors.js';
import type { ErrorCode } from '../../errors/error-codes.js';
import { failureReason } from '../connect-failure.js';

/**
 * A host and its effective role, as the errors of a wait report them (never credentials);
 * `reason`: why its last check failed, while it is unavailable.
 */
export type HostState = Readonly<{ host: string; role: string; reason?: string }>;

function listed(hosts: readonly HostState[]): string {
  return hosts
    .map((h) => `${h.host} ${h.role}${h.reason === undefined ? '' : `: ${h.reason}`}`)
    .join(', ');
}

/** ` to database app`, when the database is known (pg's default is the user's name). */
function toDatabase(database: string | undefined): string {
  return database === undefined ? '' : ` to database ${database}`;
}

/** `acquire` found no host of the wanted role with a free connection in time. */
export function noConnectionWithin(
  readOnly: boolean,
  timeoutMs: number,
  hosts: readonly HostState[],
  cause: unknown,
  database?: string,
): DependencyUnavailableError {
  const wanted = readOnly ? 'replica' : 'master';
  const code: ErrorCode = readOnly ? 'HA_NO_REPLICA' : 'HA_NO_MASTER';
  return new DependencyUnavailableError(
    `No ${wanted} connection${toDatabase(database)} within ${timeoutMs} ms (${listed(hosts)})`,
    { code, details: hosts, ...(cause === undefined ? {} : { cause }) },
  );
}

/** `ready()` did not see the hosts it waited for in time. */
export function notReadyWithin(
  timeoutMs: number,
  wanted: string,
  hosts: readonly HostState[],
  database?: string,
): DependencyUnavailableError {
  const of = database === undefined ? '' : ` of database ${database}`;
  return new DependencyUnavailableError(
    `Database cluster not ready within ${timeoutMs} ms: wanted ${wanted}${of}; ${listed(hosts)}`,
    { code: 'HA_NOT_READY', details: hosts },
  );
}

/** `waitNextPoolCheck()` did not see every host checked once more in time. */
export function noPoolCheckWithin(timeoutMs: number): DependencyUnavailableError {
  return new DependencyUnavailableError(`No complete pool check within ${timeoutMs} ms`, {
    code: 'HA_NO_POOL_CHECK',
  });
}

/** The manager was used, or waited on, after `close()`. */
export function managerClosed(): DependencyUnavailableError {
  return new DependencyUnavailableError('The HA pool manager is closed', { code: 'HA_CLOSED' });
}

/** A check could not connect, or its query failed (emitted, never thrown). */
export function checkFailed(host: string, cause: unknown): DependencyUnavailableError {
  const reason = failureReason(cause);
  return new DependencyUnavailableError(`Check of ${host} failed: ${reason}`, {
    code: 'HA_CHECK_FAILED',
    details: [{ host }],
    cause,
  });
}

/**
 * The manager stopped using a host (its role changed, or its check failed) while callers
 * waited for one of its connections: they are handed to the new choice; this is the cause
 * of their error when there is none in time.
 */
export function hostDropped(host: string, from: string, to: string): DependencyUnavailableError {
  return new DependencyUnavailableError(
    `${host} was dropped as ${from} (now ${to}) while callers waited for its connections`,
    { code: 'HA_HOST_DROPPED', details: [{ host, role: to }] },
  );
}

/** A connection handed out before `terminate()`, used after it (its server link is closed). */
export function connectionTerminated(host: string): DependencyUnavailableError {
  return new DependencyUnavailableError(
    `The connection to ${host} was closed by terminate(): the HA pool manager is closed`,
    { code: 'HA_CLOSED', details: [{ host }] },
  );
}

/** A host answered nothing within the check's limit (emitted, never thrown). */
export function checkTimedOut(host: string, timeoutMs: number): DependencyTimeoutError {
  return new DependencyTimeoutError(`Check of ${host} got no answer within ${timeoutMs} ms`, {
    code: 'HA_CHECK_TIMEOUT',
    details: [{ host }],
  });
}

/** The idle check connection failed between checks (emitted, never thrown). */
export function checkConnectionLost(host: string, cause: unknown): DependencyUnavailableError {
  const reason = failureReason(cause);
  return new DependencyUnavailableError(`Check connection to ${host} lost: ${reason}`, {
    code: 'HA_CHECK_CONNECTION_LOST',
    details: [{ host }],
    cause,
  });
}

/** An idle pooled connection to a host failed and was dropped (emitted, never thrown). */
export function idleConnectionFailed(host: string, cause: unknown): DependencyUnavailableError {
  return new DependencyUnavailableError(
    `Idle connection to ${host} failed: ${failureReason(cause)}`,
    {
      code: 'HA_IDLE_CONNECTION_FAILED',
      details: [{ host }],
      cause,
    },
  );
}
