import { backfillFromDsn } from '../config/dsn.js';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { maskSecrets } from '../internal/redaction.js';
import type { PgPoolOptions } from './pg-pool-options.js';

/** Where a pool connects and as whom, for messages: never the password. */
export interface ConnectTarget {
  /** `host:port`. */
  readonly address: string;
  readonly database: string | undefined;
  readonly user: string | undefined;
}

/** The target of `options` (explicit fields over the connection string's). */
export function connectTarget(options: PgPoolOptions, address: string): ConnectTarget {
  let { database, user } = options;
  try {
    ({ database, user } = backfillFromDsn({ dsn: options.connectionString, database, user }));
  } catch {
    // pg reads connection strings it accepts; the names are only labels.
  }
  // pg's own default: the database named after the user.
  return { address, database: database ?? user, user };
}

/** What the operating system's socket errors mean, in words. */
const SOCKET_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name not resolved',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
};

/**
 * A new connection could not be opened: the message names the database, the host, the user
 * and the reason — the server's words with the SQLSTATE (28P01 wrong password, 3D000 no such
 * database, 28000 no such role), or the socket error (ECONNREFUSED) — so the cause need not be
 * unwrapped to see why. The server never repeats a password, and none is added here.
 */
export function connectFailure(target: ConnectTarget, error: Error): DependencyUnavailableError {
  const code = (error as { code?: unknown }).code;
  return new DependencyUnavailableError(`${cannotConnect(target)}: ${failureReason(error)}`, {
    code: 'DATABASE_CONNECT_FAILED',
    details: [{ ...target, reason: typeof code === 'string' ? code : 'unknown' }],
    cause: error,
  });
}

/**
 * Why a connection or a statement failed, in one form wherever a message quotes it: the
 * server's words with the SQLSTATE (`… does not exist (SQLSTATE 3D000)`: pg's text alone
 * does not say which condition it is), the socket error in words with its code
 * (`connection refused (ECONNREFUSED)`), else the message — masked should it quote a secret.
 */
export function failureReason(error: unknown): string {
  const message = maskSecrets(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return message;
  // No SQLSTATE class starts with E; Node's socket errors (EPIPE, ECONNREFUSED) all do.
  if (code.startsWith('E')) return `${SOCKET_REASONS[code] ?? message} (${code})`;
  if (/^[0-9A-Z]{5}$/.test(code)) return `${message} (SQLSTATE ${code})`;
  return message;
}

/** No connection opened within `timeoutMs`: the server accepted nothing, or never answered. */
export function connectTimeout(
  target: ConnectTarget,
  timeoutMs: number,
): DependencyUnavailableError {
  return new DependencyUnavailableError(
    `${cannotConnect(target)}: no answer within ${timeoutMs} ms (timeout)`,
    { code: 'DATABASE_CONNECT_FAILED', details: [{ ...target, reason: 'timeout' }] },
  );
}

function cannotConnect(t: ConnectTarget): string {
  const database = t.database === undefined ? 'the database' : `database "${t.database}"`;
  const user = t.user === undefined ? '' : ` as user "${t.user}"`;
  return `Cannot connect to ${database} at ${t.address}${user}`;
}
