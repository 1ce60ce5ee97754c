import { UsageError } from 'libretto';
import { sql } from 'libretto/postgres';
import { describe, expect, it } from 'vitest';

describe('sql tag', () => {
  it('turns every interpolation into a numbered parameter, nested statements renumbered', () => {
    const filter = sql`status = ${'active'} AND age > ${30}`;
    const q = sql`SELECT * FROM t WHERE ${filter} AND id = ${7} LIMIT ${10}`;
    expect(q.compile()).toEqual({
      text: 'SELECT * FROM t WHERE status = $1 AND age > $2 AND id = $3 LIMIT $4',
      values: ['active', 30, 7, 10],
    });
  });

  it('never puts a value in the text, whatever it contains', () => {
    const evil = "'; DROP TABLE t; --";
    const q = sql`SELECT ${evil}, ${{ a: 1 }}, ${null}`.compile();
    expect(q.text).toBe('SELECT $1, $2, $3');
    expect(q.values).toEqual([evil, { a: 1 }, null]);
  });

  it('quotes validated identifiers and refuses unsafe ones', () => {
    expect(sql`SELECT * FROM ${sql.identifier('app.users')}`.compile().text).toBe(
      'SELECT * FROM "app"."users"',
    );
    for (const bad of ['a;b', 'a b', '"a"', 'a.b.c', '', '1abc', 'a--', `x${'y'.repeat(70)}`]) {
      expect(() => sql.identifier(bad)).toThrow(UsageError);
      expect(() => sql.identifier(bad)).toThrow(
        expect.objectContaining({ code: 'UNSAFE_IDENTIFIER' }),
      );
    }
  });

  it('joins values and statements', () => {
    expect(sql`IN (${sql.join([1, 2, 3])})`.compile()).toEqual({
      text: 'IN ($1, $2, $3)',
      values: [1, 2, 3],
    });
    expect(sql`${sql.join([sql`a = ${1}`, sql`b = ${2}`], ' AND ')}`.compile()).toEqual({
      text: 'a = $1 AND b = $2',
      values: [1, 2],
    });
  });
});
