import type { DatabaseEngine } from './database-engine.js';
import { beginStatementCache } from './database-engine.js';
import { isRetryable, mapDatabaseError, mustDiscard } from './error-mapping.js';

/** PostgreSQL (`pg`, PGlite, the HA pool): the engine of a pool that names none. */
export const postgresEngine: DatabaseEngine = Object.freeze({
  name: 'postgres',
  placeholder: (index: number) => `$${index}`,
  quoteIdentifier: (part: string) => `"${part}"`,
  beginStatements: beginStatementCache((level, readOnly) => [
    level === undefined
      ? readOnly
        ? 'BEGIN READ ONLY'
        : 'BEGIN'
      : `BEGIN ISOLATION LEVEL ${level}${readOnly ? ' READ ONLY' : ''}`,
  ]),
  mapError: mapDatabaseError,
  isRetryable,
  mustDiscard,
});
