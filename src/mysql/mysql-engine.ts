import { beginStatementCache, type DatabaseEngine } from '../postgres/database-engine.js';
import { isMysqlRetryable, mapMysqlError, mustDiscardMysql } from './mysql-error-mapping.js';

/**
 * MySQL and MariaDB: `?` placeholders, backquoted identifiers, the isolation level set for the
 * next transaction before `START TRANSACTION`, errors mapped by error number.
 */
export const mysqlEngine: DatabaseEngine = Object.freeze({
  name: 'mysql',
  placeholder: () => '?',
  quoteIdentifier: (part: string) => `\`${part}\``,
  beginStatements: beginStatementCache((level, readOnly) => [
    ...(level === undefined ? [] : [`SET TRANSACTION ISOLATION LEVEL ${level}`]),
    readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION',
  ]),
  mapError: mapMysqlError,
  isRetryable: isMysqlRetryable,
  mustDiscard: mustDiscardMysql,
});
