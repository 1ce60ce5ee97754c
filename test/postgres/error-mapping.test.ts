import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  DependencyUnavailableError,
  InfrastructureError,
  RelatedResourceNotFoundError,
  ValidationError,
} from 'libretto';
import { mapDatabaseError, statementName } from 'libretto/postgres';
import { describe, expect, it } from 'vitest';

const pgError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`server says ${code}`), { code, ...extra });

describe('SQLSTATE mapping (PG-8)', () => {
  const rows: [string, new (...a: never[]) => Error][] = [
    ['23505', AlreadyExistsError],
    ['23503', RelatedResourceNotFoundError],
    ['23502', ValidationError],
    ['23514', ValidationError],
    ['22P02', ValidationError],
    ['40001', ConflictError],
    ['40P01', ConflictError],
    ['57014', DeadlineExceededError],
    ['08006', DependencyUnavailableError],
    ['08001', DependencyUnavailableError],
    ['57P01', DependencyUnavailableError],
    ['57P03', DependencyUnavailableError],
    ['42601', InfrastructureError],
  ];
  it.each(rows)('%s → %o, the driver error as cause', (code, type) => {
    const cause = pgError(code);
    const mapped = mapDatabaseError(cause, 'INSERT INTO users (email) VALUES ($1)');
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.cause).toBe(cause);
    expect(mapped.details).toEqual([{ statement: 'INSERT users', sqlstate: code }]);
  });

  it('maps socket errors and lost connections to DependencyUnavailableError', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
    ]) {
      expect(mapDatabaseError(error, 'SELECT 1')).toBeInstanceOf(DependencyUnavailableError);
    }
  });

  it('names constraints and columns, never values', () => {
    const unique = mapDatabaseError(
      pgError('23505', {
        constraint: 'users_email_key',
        detail: 'Key (email)=(a@b.c) already exists.',
      }),
      'INSERT INTO users VALUES ($1)',
    );
    expect(unique.message).toBe('INSERT users: duplicate key violates users_email_key');
    const bad = mapDatabaseError(
      Object.assign(new Error('invalid input syntax for type integer: "p4ssw0rd"'), {
        code: '22P02',
      }),
      'SELECT $1::int',
    );
    expect(bad.message).not.toContain('p4ssw0rd');
  });

  it('statement names: verb and table', () => {
    expect(statementName('  select * from "public"."users" where id = $1')).toBe(
      'SELECT public.users',
    );
    expect(statementName('UPDATE orders SET x = 1')).toBe('UPDATE orders');
    expect(statementName('BEGIN')).toBe('BEGIN');
  });
});
