/**
 * The catalogue of every condition a Libretto error reports, by its stable `code`, with what
 * it means. A class (`ConflictError`) says how to treat an error (HTTP status, retry or
 * not); its code says exactly which condition it was, so callers can branch on it. A test
 * checks that every code here is documented in docs/errors.md.
 *
 * Codes of your own: add them to {@link ErrorCodes} by declaration merging.
 *
 * @example
 * declare module 'libretto' {
 *   interface ErrorCodes { EMAIL_TAKEN: string }
 * }
 * throw new AlreadyExistsError('Email taken', { code: 'EMAIL_TAKEN' });
 */
export const ERROR_CODES = {
  // ——— classes: the default code of each error class ———
  LIBRETTO_ERROR: 'Root of every Libretto error.',
  DOMAIN_ERROR: 'A domain rule was violated.',
  VALIDATION_ERROR: 'Input breaks a domain invariant.',
  CONFLICT: 'The operation conflicts with the current state.',
  NOT_FOUND: 'The requested resource does not exist.',
  ALREADY_EXISTS: 'A resource with the same identity already exists.',
  PERMISSION_DENIED: 'The actor may not perform this action on this resource.',
  APPLICATION_ERROR: 'An application service or one of its dependencies failed.',
  INVALID_OPERATION: 'The operation is not allowed in the current state.',
  AUTHENTICATION_FAILED: 'The caller is not authenticated.',
  AUTHORIZATION_FAILED: 'The caller is authenticated but not authorized.',
  RELATED_RESOURCE_NOT_FOUND: 'A resource referenced by the input does not exist.',
  DEPENDENCY_UNAVAILABLE: 'A dependency (database, broker, remote API) cannot be reached.',
  DEPENDENCY_TIMEOUT: 'A dependency did not answer in time.',
  DEPENDENCY_FAILURE: 'A dependency answered with a failure.',
  DEPENDENCY_THROTTLED: 'A dependency refused the call because of rate limits.',
  INFRASTRUCTURE_ERROR: 'Storage, transport or the runtime failed.',
  DEADLINE_EXCEEDED: 'A deadline (statement timeout, shutdown bound) passed.',
  SUBSYSTEM_UNAVAILABLE: 'An internal subsystem is down.',
  STORAGE_INTEGRITY: 'Stored data is inconsistent or corrupt.',
  TRANSPORT_INTEGRITY: 'Data was damaged in transit.',
  SYSTEM_RESOURCE_LIMIT_EXCEEDED: 'A resource limit (pool, memory, queue) was reached.',
  USAGE_ERROR: 'Server code used Libretto wrongly: a programming mistake, never the client.',

  // ——— usage: programming mistakes (UsageError; HTTP answers a logged 500) ———
  INVALID_OPTION: 'An option or argument of a public entry point is invalid or unknown.',

  // ——— config ———
  CONFIG_INVALID: 'The configuration is malformed or fails its schema.',
  DSN_INVALID: 'A connection string cannot be parsed.',

  // ——— di ———
  DI_INVALID_GRAPH:
    'The providers do not form a valid graph (missing, cycle, lifetime, duplicate).',
  DI_UNKNOWN_TOKEN: 'A token with no provider was resolved.',
  DI_SCOPE: 'A scope was used wrongly.',
  DI_SCOPE_CLOSED: 'A value was resolved from a closed scope or container.',
  DI_REQUEST_SCOPED_FROM_APP: 'A request-scoped value was asked of the app scope.',
  DI_NOT_SUPPLIED: 'A `supplied` token was resolved in a scope that was not given its value.',
  DI_NOT_SUPPLIABLE: 'A value was supplied for a token not declared with `supplied()`.',
  DI_PROVIDER_FAILED: 'A provider failed while the container warmed up.',
  DI_DISPOSE_FAILED: 'One or more finalizers failed while a scope closed.',

  // ——— core ———
  APP_START_FAILED: 'The application could not start.',
  APP_STOP_FAILED: 'One or more services failed to stop.',
  APP_NOT_STARTED: 'The application was used before `start()`.',
  APP_ALREADY_STARTED: '`start()` was called on an application that is not idle.',
  APP_SHUTDOWN_TIMEOUT: 'Stopping took longer than `shutdownTimeout`.',
  SERVICE_NOT_ATTACHED: 'A service was used outside a running application.',

  // ——— http ———
  HTTP_ERROR: 'An error that is its own HTTP answer (`HttpError`).',

  // ——— postgres ———
  BACKEND_NOT_REGISTERED:
    'The settings select a database backend (`ha`) that was not passed to `PostgresService({ backends })`.',
  POSTGRES_PACKAGE_MISSING:
    'The `pg` package (or `@electric-sql/pglite` for the embedded database) is not installed.',
  POOL_CLOSED:
    'A connection was asked of a pool that is closed (or closed while the caller waited).',
  POOL_EXHAUSTED: 'No pooled connection became free within the acquire timeout.',
  DATABASE_CONNECT_FAILED: 'A new connection to the database server could not be opened.',
  CONNECTION_RELEASED: 'A statement was run on a connection already returned to its pool.',
  CONNECTION_RELEASED_TWICE: 'A connection was returned to its pool twice.',
  TRANSACTION_ALREADY_STARTED: '`start()` was called on a request transaction already started.',
  TRANSACTION_NOT_STARTED: '`commit()` or `rollback()` was called before `start()`.',
  TRANSACTION_ABORTED:
    'A statement of the transaction failed and its error was caught: the commit rolled back.',
  TRANSACTION_ENDED:
    'Database work ran after its transaction ended (a timer or a promise not awaited inside it).',
  CONCURRENT_NESTED_TRANSACTIONS:
    'Two nested transactions of one transaction ran at once (they share its connection).',
  NO_DEFAULT_DATABASE:
    '`transactional()` found no database: no running `PostgresService` and no `{ database }`.',
  UNKNOWN_ISOLATION_LEVEL: 'A transaction asked for an isolation level PostgreSQL does not have.',
  INVALID_BATCH_SIZE: '`stream()` was given a batch size that is not a positive integer.',
  UNSAFE_IDENTIFIER: '`sql.identifier()` was given a name that is not a plain SQL identifier.',
  VALUES_BESIDE_SQL_STATEMENT: 'Values were passed beside an `sql` statement instead of inside it.',
  DB_UNIQUE_VIOLATION: 'SQLSTATE 23505: a row with the same unique key exists.',
  DB_FOREIGN_KEY_VIOLATION:
    'SQLSTATE 23503: a referenced row does not exist (or is still referenced).',
  DB_NOT_NULL_VIOLATION: 'SQLSTATE 23502: a required column was null.',
  DB_CHECK_VIOLATION: 'SQLSTATE 23514: a check constraint failed.',
  DB_INVALID_DATA:
    'SQLSTATE class 22: a value does not fit its type (bad input syntax, out of range).',
  DB_SERIALIZATION_FAILURE: 'SQLSTATE 40001: concurrent transactions could not be serialized.',
  DB_DEADLOCK: 'SQLSTATE 40P01: the transaction was chosen as the victim of a deadlock.',
  DB_STATEMENT_TIMEOUT:
    'SQLSTATE 57014: the server cancelled the statement (statement_timeout or a cancel).',
  DB_QUERY_TIMEOUT:
    'No answer within the client-side `queryTimeoutMs`: the connection is closed, not reused.',
  DB_UNAVAILABLE:
    'The connection or the server went away (SQLSTATE class 08, 57P01-03, a socket error).',
  DB_ERROR: 'Any other failure of a statement (its SQLSTATE is in `details`).',

  // ——— postgres/ha ———

  // ——— data ———

  // ——— testing ———
} as const;

/**
 * Every known error code, as an interface so that applications can add their own by
 * declaration merging. `LibrettoError.code` is one of its keys.
 */
export interface ErrorCodes extends Readonly<Record<keyof typeof ERROR_CODES, string>> {}

/** A stable error code: one of the catalogue's, or one an application added to {@link ErrorCodes}. */
export type ErrorCode = keyof ErrorCodes & string;
