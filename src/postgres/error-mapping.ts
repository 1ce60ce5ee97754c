import {
  DependencyUnavailableError,
  RelatedResourceNotFoundError,
} from '../errors/application-errors.js';
import { AlreadyExistsError, ConflictError, ValidationError } from '../errors/domain-errors.js';
import { DeadlineExceededError, InfrastructureError } from '../errors/infrastructure-errors.js';
import type { LibrettoError } from '../errors/libretto-error.js';

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  column?: unknown;
  table?: unknown;
  message?: unknown;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const SAFE_MESSAGE_CLASSES = new Set(['0A', '25', '26', '34', '3B', '42', '53', '55', '57', '58']);

/** Driver error fields that can hold row data or parameter values. */
const VALUE_FIELDS = ['detail', 'where', 'internalQuery', 'params'];

/**
 * Keeps the fields that can carry values (`Key (email)=(…)`, PGlite's `params`) readable on
 * the driver error but out of logs and JSON: they become non-enumerable.
 */
function hideValues(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  for (const field of VALUE_FIELDS) {
    const descriptor = Object.getOwnPropertyDescriptor(error, field);
    if (descriptor?.enumerable === true && descriptor.configurable === true) {
      Object.defineProperty(error, field, { ...descriptor, enumerable: false });
    }
  }
}

/** The SQLSTATE of a driver error, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as DriverError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether retrying the whole transaction may succeed (serialization failure, deadlock). */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error) ?? sqlState((error as { cause?: unknown } | null)?.cause);
  return state === '40001' || state === '40P01';
}

/**
 * Marks a driver error as the loss of its connection, which the pool knows from the client's
 * own `error`/`end` events (`pg` reports a lost socket only in message text).
 */
export function markConnectionLost(error: unknown): void {
  if (typeof error === 'object' && error !== null && !(LOST in error)) {
    Object.defineProperty(error, LOST, { value: true });
  }
}

const LOST = Symbol('libretto.connectionLost');

/**
 * Whether the error means the connection (or the server) is gone: SQLSTATE class 08 or
 * 57P01-03, a socket error code, or a loss the pool saw happen. Never read from message text.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as (DriverError & { [LOST]?: boolean }) | null;
  if (e?.[LOST] === true) return true;
  const state = sqlState(e);
  // 08P01 (protocol violation) is a bad call — e.g. the wrong number of values — not a lost link.
  if (state !== undefined) {
    return (
      (state.startsWith('08') && state !== '08P01') || ['57P01', '57P02', '57P03'].includes(state)
    );
  }
  return typeof e?.code === 'string' && CONNECTION_CODES.has(e.code);
}

/**
 * Whether the connection a statement failed on must be closed rather than reused: it was
 * lost, or it timed out on the client side with the statement possibly still running.
 */
export function mustDiscard(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'DB_QUERY_TIMEOUT' || code === 'DB_UNAVAILABLE' || isConnectionError(error);
}

/** A short name for a statement — its verb and table — for messages; never its values. */
export function statementName(text: string): string {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  const target =
    /\b(?:FROM|INTO|UPDATE|TABLE|JOIN)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i.exec(
      text,
    )?.[1];
  return target === undefined ? verb : `${verb} ${target.replaceAll('"', '')}`;
}

/**
 * Maps a driver error to a Libretto error with a code per condition, the driver error kept
 * as `cause` (its SQLSTATE in `details`).
 * Messages name the statement and, for constraint errors, the constraint or column — never
 * parameter values (PostgreSQL's own messages for bad input quote them, so they are not used).
 */
export function mapDatabaseError(error: unknown, text: string): LibrettoError {
  hideValues(error);
  const e = error as DriverError | null;
  const state = sqlState(e);
  const name = statementName(text);
  const details = [{ statement: name, ...(state === undefined ? {} : { sqlstate: state }) }];
  const constraint = typeof e?.constraint === 'string' ? e.constraint : undefined;
  const column = typeof e?.column === 'string' ? e.column : undefined;
  const options = { cause: error, details };
  switch (state) {
    case '23505':
      return new AlreadyExistsError(
        `${name}: duplicate key violates ${constraint ?? 'a unique constraint'}`,
        { ...options, code: 'DB_UNIQUE_VIOLATION' },
      );
    case '23503':
      return new RelatedResourceNotFoundError(
        `${name}: a related row does not exist (${constraint ?? 'foreign key'})`,
        { ...options, code: 'DB_FOREIGN_KEY_VIOLATION' },
      );
    case '23502':
      return new ValidationError(`${name}: ${column ?? 'a column'} must not be null`, {
        ...options,
        code: 'DB_NOT_NULL_VIOLATION',
      });
    case '23514':
      return new ValidationError(`${name}: check ${constraint ?? 'constraint'} failed`, {
        ...options,
        code: 'DB_CHECK_VIOLATION',
      });
    case '40001':
      return new ConflictError(`${name}: could not serialize access (concurrent update)`, {
        ...options,
        code: 'DB_SERIALIZATION_FAILURE',
      });
    case '40P01':
      return new ConflictError(`${name}: deadlock detected`, { ...options, code: 'DB_DEADLOCK' });
    case '57014':
      return new DeadlineExceededError(`${name}: statement timeout or cancelled`, {
        ...options,
        code: 'DB_STATEMENT_TIMEOUT',
      });
  }
  if (state?.startsWith('22')) {
    return new ValidationError(`${name}: invalid data (SQLSTATE ${state})`, {
      ...options,
      code: 'DB_INVALID_DATA',
    });
  }
  if (isConnectionError(e)) {
    return new DependencyUnavailableError(`${name}: database unavailable`, {
      ...options,
      code: 'DB_UNAVAILABLE',
    });
  }
  // Classes whose messages describe the SQL or the server, not the data; others (RAISE in
  // functions, exclusion constraints, …) may quote values and get no message.
  const safe = state === undefined || SAFE_MESSAGE_CLASSES.has(state.slice(0, 2));
  const message = safe && typeof e?.message === 'string' ? `: ${e.message}` : '';
  return new InfrastructureError(
    `${name} failed${state === undefined ? '' : ` (SQLSTATE ${state})`}${message}`,
    { ...options, code: 'DB_ERROR' },
  );
}
