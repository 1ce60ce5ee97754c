// The MySQL engine's rendering: the same sql statement as PostgreSQL and MySQL text, and the
// statements that open a transaction.
import { UsageError } from 'libretto';
import { mysqlEngine } from 'libretto/mysql';
import { sql } from 'libretto/postgres';
import { describe, expect, it } from 'vitest';

describe('mysqlEngine', () => {
  it('renders ? placeholders and backquoted identifiers, nested statements included', () => {
    const where = sql`${sql.identifier('u.age')} > ${18} AND name IN (${sql.join(['a', 'b'])})`;
    const query = sql`SELECT * FROM ${sql.identifier('app.users')} u WHERE ${where}`;
    expect(query.compile(mysqlEngine)).toEqual({
      text: 'SELECT * FROM `app`.`users` u WHERE `u`.`age` > ? AND name IN (?, ?)',
      values: [18, 'a', 'b'],
    });
    // The same statement, unchanged, for PostgreSQL.
    expect(query.compile().text).toBe(
      'SELECT * FROM "app"."users" u WHERE "u"."age" > $1 AND name IN ($2, $3)',
    );
  });

  it('opens a transaction with the isolation set first; an unknown level is a UsageError', () => {
    expect(mysqlEngine.beginStatements({})).toEqual(['START TRANSACTION']);
    expect(mysqlEngine.beginStatements({ readOnly: true }, 'repeatable read')).toEqual([
      'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'START TRANSACTION READ ONLY',
    ]);
    expect(mysqlEngine.beginStatements({ isolation: 'serializable' })).toBe(
      mysqlEngine.beginStatements({ isolation: 'serializable' }),
    );
    expect(() => mysqlEngine.beginStatements({ isolation: 'snapshot' as never })).toThrow(
      UsageError,
    );
  });
});
