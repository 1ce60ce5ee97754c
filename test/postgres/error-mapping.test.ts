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
  const rows: [string, new (...a: never[]) => Error, string][] = [
    ['23505', AlreadyExistsError, 'DB_UNIQUE_VIOLATION'],
    ['23503', RelatedResourceNotFoundError, 'DB_FOREIGN_KEY_VIOLATION'],
    ['23502', ValidationError, 'DB_NOT_NULL_VIOLATION'],
    ['23514', ValidationError, 'DB_CHECK_VIOLATION'],
    ['22P02', ValidationError, 'DB_INVALID_DATA'],
    ['40001', ConflictError, 'DB_SERIALIZATION_FAILURE'],
    ['40P01', ConflictError, 'DB_DEADLOCK'],
    ['57014', DeadlineExceededError, 'DB_STATEMENT_TIMEOUT'],
    ['08006', DependencyUnavailableError, 'DB_UNAVAILABLE'],
    ['08001', DependencyUnavailableError, 'DB_UNAVAILABLE'],
    ['57P01', DependencyUnavailableError, 'DB_UNAVAILABLE'],
    ['57P03', DependencyUnavailableError, 'DB_UNAVAILABLE'],
    ['42601', InfrastructureError, 'DB_ERROR'],
  ];
  it.each(rows)('%s → %o %s, the driver error as cause', (code, type, libretto) => {
    const cause = pgError(code);
    const mapped = mapDatabaseError(cause, 'INSERT INTO users (email) VALUES ($1)');
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.code).toBe(libretto);
    expect(mapped.cause).toBe(cause);
    expect(mapped.details).toEqual([{ statement: 'INSERT users', sqlstate: code }]);
  });

  it('maps socket errors to DependencyUnavailableError, never reading message text', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(mapDatabaseError(refused, 'SELECT 1')).toBeInstanceOf(DependencyUnavailableError);
    // A message alone says nothing: the pool marks the losses it sees (faults.test.ts).
    const text = mapDatabaseError(new Error('Connection terminated unexpectedly'), 'SELECT 1');
    expect(text).not.toBeInstanceOf(DependencyUnavailableError);
    expect(text.code).toBe('DB_ERROR');
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
