import { DependencyUnavailableError } from '../errors/application-errors.js';
import { AlreadyExistsError, ConflictError } from '../errors/domain-errors.js';
import { InfrastructureError } from '../errors/infrastructure-errors.js';
import { LibrettoError } from '../errors/libretto-error.js';

/** The index a unique violation names (SurrealDB: "Database index `name` already contains …"). */
export function violatedIndex(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  return /index `([^`]+)` already contains/.exec(message)?.[1];
}

const CONNECTION = /connect|connection|socket|ECONNREFUSED|ENOTFOUND|closed|unavailable/i;

/**
 * A SurrealDB error as a Libretto error, the SDK's kept as `cause`. Messages name the
 * statement's verb, the table or index — never values (SurrealDB's own messages quote the
 * duplicate value or the record's content, so they are not used for those).
 */
export function mapSurrealError(error: unknown, where: string): LibrettoError {
  if (error instanceof LibrettoError) return error;
  const e = error as { kind?: unknown; message?: unknown; name?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const kind = typeof e?.kind === 'string' ? e.kind : undefined;
  const index = violatedIndex(error);
  if (index !== undefined) {
    return new AlreadyExistsError(`${where}: duplicate value in unique index ${index}`, {
      code: 'DB_UNIQUE_VIOLATION',
      cause: error,
      details: [{ index }],
    });
  }
  if (kind === 'AlreadyExists') {
    const record = /record `([a-z0-9_]+):/i.exec(message)?.[1];
    return new AlreadyExistsError(
      `${where}: a record with this key already exists${record === undefined ? '' : ` in ${record}`}`,
      { code: 'DB_UNIQUE_VIOLATION', cause: error },
    );
  }
  if (/Transaction conflict|retry the transaction/i.test(message)) {
    return new ConflictError(`${where}: a concurrent transaction wrote the same records`, {
      code: 'DB_SERIALIZATION_FAILURE',
      cause: error,
    });
  }
  if (kind === undefined && CONNECTION.test(`${String(e?.name)} ${message}`)) {
    return new DependencyUnavailableError(`${where}: SurrealDB unavailable`, {
      code: 'DB_UNAVAILABLE',
      cause: error,
    });
  }
  // Parse errors and the like describe the statement, not the data.
  const safe = kind === 'Validation' || kind === 'NotFound' || kind === 'NotAllowed';
  return new InfrastructureError(`${where} failed${safe ? `: ${message}` : ''}`, {
    code: 'DB_ERROR',
    cause: error,
    ...(kind === undefined ? {} : { details: [{ kind }] }),
  });
}
