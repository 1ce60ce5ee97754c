import {
  DependencyUnavailableError,
  RelatedResourceNotFoundError,
} from '../errors/application-errors.js';
import { AlreadyExistsError, ConflictError, ValidationError } from '../errors/domain-errors.js';
import { DeadlineExceededError, InfrastructureError } from '../errors/infrastructure-errors.js';
import type { LibrettoError } from '../errors/libretto-error.js';
import { statementName } from '../postgres/error-mapping.js';

/** The fields of a `mysql2` error this mapping reads. */
interface MysqlDriverError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly sqlState?: unknown;
  readonly sqlMessage?: unknown;
  readonly fatal?: unknown;
}

/** Socket and protocol codes that mean the connection (or the server) is gone. */
const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Server errors that mean the connection is gone: shutdown, killed, too many, gone away. */
const CONNECTION_ERRNOS = new Set([1040, 1053, 1927, 2006, 2013]);

/** Driver error fields that can quote row data or values: hidden from logs and JSON. */
const VALUE_FIELDS = ['sql', 'sqlMessage'];

/** SQLSTATEs whose server messages describe the statement, never the data. */
const SAFE_MESSAGE_STATES = new Set(['42000', '42S01', '42S02', '42S22', '25006', '0A000']);

/** The parts of server messages that quote a value (greedy: a value may hold quotes). */
const QUOTED_VALUES = [
  /(Duplicate entry )'.*'( for key '[^']*')$/s,
  /( value: )'.*'( for column )/s,
];

/** The server's error number of a driver error (1062 duplicate key, …), if it has one. */
export function mysqlErrno(error: unknown): number | undefined {
  const errno = (error as MysqlDriverError | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** Whether re-running the whole transaction may succeed: deadlock (1213), lock wait timeout (1205). */
export function isMysqlRetryable(error: unknown): boolean {
  const errno = mysqlErrno(error) ?? mysqlErrno((error as { cause?: unknown } | null)?.cause);
  return errno === 1213 || errno === 1205;
}

/** Whether the error means the connection is gone (never read from message text). */
export function isMysqlConnectionError(error: unknown): boolean {
  const e = error as MysqlDriverError | null;
  if (e?.fatal === true) return true;
  const errno = mysqlErrno(e);
  if (errno !== undefined && CONNECTION_ERRNOS.has(errno)) return true;
  return typeof e?.code === 'string' && CONNECTION_CODES.has(e.code);
}

/** Whether the connection a statement failed on must be closed rather than reused. */
export function mustDiscardMysql(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'DB_QUERY_TIMEOUT' || code === 'DB_UNAVAILABLE' || isMysqlConnectionError(error);
}

/**
 * Keeps the values the server quotes (`Duplicate entry 'ada@x' for key 'email'`) out of logs
 * and JSON: the driver error's message and stack get `'…'` in their place, and the fields
 * holding them (`sqlMessage`, the statement text) stay readable but not enumerable.
 */
function hideValues(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  for (const field of VALUE_FIELDS) {
    const descriptor = Object.getOwnPropertyDescriptor(error, field);
    if (descriptor?.enumerable === true && descriptor.configurable === true) {
      Object.defineProperty(error, field, { ...descriptor, enumerable: false });
    }
  }
  if (!(error instanceof Error)) return;
  const message = error.message;
  let redacted = message;
  for (const pattern of QUOTED_VALUES) redacted = redacted.replace(pattern, "$1'…'$2");
  if (redacted === message) return;
  error.message = redacted;
  if (typeof error.stack === 'string') error.stack = error.stack.replace(message, redacted);
}

/** The first match group of `pattern` in the server's message (names only, never values). */
function nameIn(message: string, pattern: RegExp): string | undefined {
  return pattern.exec(message)?.[1];
}

// Where the server's messages name the key, constraint or column: anchored away from values.
const KEY = /for key '([^']*)'$/;
const CONSTRAINT = /(?:CONSTRAINT `([^`]+)`|Check constraint '([^']+)')/;
const NULL_COLUMN = /^(?:Column|Field) '([^']+)'/;
const COLUMN = /for column (?:`[^`]*`\.)*[`']([^`']+)[`'] at row \d+$/;

/**
 * Maps a `mysql2` error to a Libretto error by its error number, the driver error kept as
 * `cause` (errno and SQLSTATE in `details`). Messages name the statement and the key,
 * constraint or column — read from the server's message only for those names; the values it
 * quotes (`Duplicate entry 'x'`, `Incorrect integer value: 'x'`) never reach a message.
 */
export function mapMysqlError(error: unknown, text: string): LibrettoError {
  hideValues(error);
  const e = error as MysqlDriverError | null;
  const errno = mysqlErrno(e);
  const name = statementName(text.replaceAll('`', ''));
  const sqlState = typeof e?.sqlState === 'string' ? e.sqlState : undefined;
  const details = [
    {
      statement: name,
      ...(errno === undefined ? {} : { errno }),
      ...(sqlState === undefined ? {} : { sqlstate: sqlState }),
    },
  ];
  const options = { cause: error, details };
  const message = typeof e?.sqlMessage === 'string' ? e.sqlMessage : '';
  switch (errno) {
    case 1062: {
      const key = nameIn(message, KEY);
      return new AlreadyExistsError(`${name}: duplicate key violates ${key ?? 'a unique key'}`, {
        ...options,
        code: 'DB_UNIQUE_VIOLATION',
      });
    }
    case 1451:
    case 1452: {
      const constraint = nameIn(message, CONSTRAINT);
      const what = errno === 1451 ? 'rows still refer to this row' : 'a related row does not exist';
      return new RelatedResourceNotFoundError(`${name}: ${what} (${constraint ?? 'foreign key'})`, {
        ...options,
        code: 'DB_FOREIGN_KEY_VIOLATION',
      });
    }
    case 1048:
    case 1364: {
      const column = nameIn(message, NULL_COLUMN);
      return new ValidationError(`${name}: ${column ?? 'a column'} must not be null`, {
        ...options,
        code: 'DB_NOT_NULL_VIOLATION',
      });
    }
    case 3819:
    case 4025: {
      const match = CONSTRAINT.exec(message);
      const constraint = match?.[1] ?? match?.[2];
      return new ValidationError(`${name}: check ${constraint ?? 'constraint'} failed`, {
        ...options,
        code: 'DB_CHECK_VIOLATION',
      });
    }
    case 1264:
    case 1292:
    case 1366:
    case 1406: {
      const column = nameIn(message, COLUMN);
      return new ValidationError(
        `${name}: invalid data${column === undefined ? '' : ` for ${column}`} (errno ${errno})`,
        { ...options, code: 'DB_INVALID_DATA' },
      );
    }
    case 1213:
      return new ConflictError(`${name}: deadlock detected`, { ...options, code: 'DB_DEADLOCK' });
    case 1205:
      return new ConflictError(`${name}: lock wait timeout exceeded`, {
        ...options,
        code: 'DB_LOCK_TIMEOUT',
      });
    case 1317:
    case 1969:
    case 3024:
      return new DeadlineExceededError(`${name}: statement timeout or cancelled`, {
        ...options,
        code: 'DB_STATEMENT_TIMEOUT',
      });
  }
  if (isMysqlConnectionError(e)) {
    return new DependencyUnavailableError(`${name}: database unavailable`, {
      ...options,
      code: 'DB_UNAVAILABLE',
    });
  }
  // Syntax, unknown table or column, a read-only transaction: the server's words describe
  // the SQL, not data.
  const safe = sqlState !== undefined && SAFE_MESSAGE_STATES.has(sqlState);
  const reason = safe && message !== '' ? `: ${message}` : '';
  return new InfrastructureError(
    `${name} failed${errno === undefined ? '' : ` (errno ${errno})`}${reason}`,
    { ...options, code: 'DB_ERROR' },
  );
}
