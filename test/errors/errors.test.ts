import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as errors from 'libretto';
import {
  AlreadyExistsError,
  ApplicationError,
  DomainError,
  ERROR_CODES,
  type ErrorCode,
  InfrastructureError,
  InvalidOperationError,
  LibrettoError,
  NotFoundError,
  UsageError,
  ValidationError,
} from 'libretto';
import { afterAll, describe, expect, it } from 'vitest';

const HIERARCHY = {
  DomainError: [
    'ValidationError',
    'ConflictError',
    'NotFoundError',
    'AlreadyExistsError',
    'PermissionDeniedError',
  ],
  ApplicationError: [
    'InvalidOperationError',
    'AuthenticationError',
    'AuthorizationError',
    'RelatedResourceNotFoundError',
    'DependencyUnavailableError',
    'DependencyTimeoutError',
    'DependencyFailureError',
    'DependencyThrottledError',
  ],
  InfrastructureError: [
    'DeadlineExceededError',
    'SubsystemUnavailableError',
    'StorageIntegrityError',
    'TransportIntegrityError',
    'SystemResourceLimitExceededError',
  ],
} as const;

type ErrorClass = new (message?: string, options?: errors.ErrorOptions) => LibrettoError;
const classOf = (name: string): ErrorClass =>
  (errors as unknown as Record<string, ErrorClass>)[name] as ErrorClass;

describe('DDD error hierarchy (ERR-1)', () => {
  for (const [layer, names] of Object.entries(HIERARCHY)) {
    for (const name of names) {
      it(`${name} is a ${layer} with its own code`, () => {
        const Cls = classOf(name);
        const error = new Cls();
        expect(error).toBeInstanceOf(Cls);
        expect(error).toBeInstanceOf(classOf(layer));
        expect(error).toBeInstanceOf(LibrettoError);
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe(name);
        expect(error.code).toMatch(/^[A-Z_]+$/);
        expect(error.message.length).toBeGreaterThan(0);
      });
    }
  }

  it('codes are unique across the hierarchy', () => {
    const all = ['LibrettoError', ...Object.keys(HIERARCHY), ...Object.values(HIERARCHY).flat()];
    const codes = all.map((n) => new (classOf(n))().code);
    expect(new Set(codes).size).toBe(all.length);
  });

  it('layers do not leak into each other', () => {
    expect(new NotFoundError()).not.toBeInstanceOf(ApplicationError);
    expect(new NotFoundError()).not.toBeInstanceOf(ValidationError);
    expect(new errors.DeadlineExceededError()).not.toBeInstanceOf(DomainError);
    expect(new InfrastructureError()).not.toBeInstanceOf(errors.DeadlineExceededError);
  });

  it('keeps message, details and cause', () => {
    const cause = new Error('driver said no');
    const error = new AlreadyExistsError('User exists', {
      details: [{ resource: 'User', email: 'a@b.c' }],
      cause,
    });
    expect(error.message).toBe('User exists');
    expect(error.details).toEqual([{ resource: 'User', email: 'a@b.c' }]);
    expect(error.cause).toBe(cause);
  });

  it('accepts details without a message, using the class default', () => {
    const error = new NotFoundError({ details: [{ id: 7 }] });
    expect(error.message).toBe('Resource not found');
    expect(error.details).toEqual([{ id: 7 }]);
    expect(error.cause).toBeUndefined();
  });

  it('serializes to a safe shape without stack or cause', () => {
    const error = new ValidationError('bad', {
      details: [{ path: 'x' }],
      cause: new Error('secret'),
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'ValidationError',
      code: 'VALIDATION_ERROR',
      message: 'bad',
      details: [{ path: 'x' }],
    });
  });

  it('user subclasses keep their name and the instanceof chain', () => {
    class EmailTakenError extends AlreadyExistsError {}
    const error = new EmailTakenError('taken');
    expect(error.name).toBe('EmailTakenError');
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error).toBeInstanceOf(EmailTakenError);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toBeInstanceOf(DomainError);
    expect(new AlreadyExistsError()).not.toBeInstanceOf(EmailTakenError);
  });

  describe('across module boundaries', () => {
    // A second, independent copy of the errors module, as with a duplicated install.
    const dir = mkdtempSync(join(tmpdir(), 'libretto-errors-copy-'));
    cpSync(fileURLToPath(new URL('../../src/errors', import.meta.url)), dir, { recursive: true });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('instanceof works between two copies of Libretto', async () => {
      const copy = (await import(join(dir, 'index.ts'))) as typeof errors;
      expect(copy.NotFoundError).not.toBe(NotFoundError);
      const foreign = new copy.NotFoundError('from the other copy');
      expect(foreign).toBeInstanceOf(NotFoundError);
      expect(foreign).toBeInstanceOf(DomainError);
      expect(foreign).toBeInstanceOf(LibrettoError);
      expect(foreign).not.toBeInstanceOf(ValidationError);
      expect(new NotFoundError()).toBeInstanceOf(copy.NotFoundError);
      expect(new ValidationError()).not.toBeInstanceOf(copy.NotFoundError);
    });
  });
});

describe('error catalogue', () => {
  it('every exported error class has its code documented in docs/errors.md', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const classes = Object.values(errors).filter(
      (v): v is typeof LibrettoError =>
        typeof v === 'function' && (v === LibrettoError || v.prototype instanceof LibrettoError),
    );
    expect(classes.length).toBeGreaterThan(25);
    const missing = classes.filter((c) => !doc.includes(`\`${c.code}\``)).map((c) => c.name);
    expect(missing).toEqual([]);
    expect(classes.filter((c) => !(c.code in ERROR_CODES)).map((c) => c.name)).toEqual([]);
  });

  it('every code of the catalogue is documented in docs/errors.md, with its meaning', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const undocumented = Object.keys(ERROR_CODES).filter(
      (code) => !new RegExp(`^\\|\\s*\`${code}\`\\s*\\|\\s*\\S`, 'm').test(doc),
    );
    expect(Object.keys(ERROR_CODES).length).toBeGreaterThan(40);
    expect(undocumented).toEqual([]);
  });

  it('a condition carries its own code; codes outside the catalogue fail to compile', () => {
    const error = new InvalidOperationError('x', { code: 'APP_NOT_STARTED' });
    expect(error.code).toBe('APP_NOT_STARTED');
    expect(error.toJSON().code).toBe('APP_NOT_STARTED');
    expect(new InvalidOperationError().code).toBe('INVALID_OPERATION');
    // @ts-expect-error not a known code
    expect(new InvalidOperationError('x', { code: 'NO_SUCH_CODE' }).code).toBe('NO_SUCH_CODE');
    const code: ErrorCode = new UsageError().code;
    expect(code).toBe('USAGE_ERROR');
  });

  it('a usage error is neither a domain nor an application error', () => {
    const error = new UsageError('Application: x unknown option', { code: 'INVALID_OPTION' });
    expect(error).toBeInstanceOf(LibrettoError);
    expect(error).not.toBeInstanceOf(ValidationError);
    expect(error).not.toBeInstanceOf(ApplicationError);
    expect(error.name).toBe('UsageError');
  });
});
