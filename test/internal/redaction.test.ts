import { maskSecrets, redactSecrets } from 'libretto';
import { describe, expect, it } from 'vitest';
import { isSecretKey } from '../../src/internal/redaction.js';

describe('secret masking (CFG-5)', () => {
  it('masks DSN passwords but keeps the rest readable', () => {
    expect(maskSecrets('connect postgresql://app:s3cret@db:5432/app failed')).toBe(
      'connect postgresql://app:***@db:5432/app failed',
    );
    expect(maskSecrets('amqp://guest:guest@rabbit/')).toBe('amqp://guest:***@rabbit/');
    expect(maskSecrets('postgresql://db1,db2/app')).toBe('postgresql://db1,db2/app');
    expect(maskSecrets('postgresql://app:a/b?c#d@db/app')).toBe('postgresql://app:***@db/app');
    expect(maskSecrets('see http://host:8080/path for docs')).toBe(
      'see http://host:8080/path for docs',
    );
  });

  it('masks password=… pairs and JSON password fields', () => {
    expect(maskSecrets('host=db user=app password=s3cret dbname=x')).toBe(
      'host=db user=app password=*** dbname=x',
    );
    expect(maskSecrets('https://api?token=abc123&x=1')).toBe('https://api?token=***&x=1');
    expect(maskSecrets('{"user":"a","password":"s3\\"cret"}')).toBe(
      '{"user":"a","password":"***"}',
    );
  });

  it('recognises secret property names', () => {
    for (const key of [
      'password',
      'PASSWORD',
      'db_password',
      'apiKey',
      'api_key',
      'token',
      'clientSecret',
      'authorization',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ['user', 'host', 'passage', 'tokenizer', 'port', 'keyboard', 'dsn'])
      expect(isSecretKey(key), key).toBe(false);
  });

  it('redacts nested objects, arrays, errors and cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const error = new Error('login to postgresql://u:pw1@h failed', {
      cause: new Error('password=pw2 rejected'),
    });
    const out = JSON.stringify(
      redactSecrets({
        config: { db: { password: 'pw3', dsn: 'postgresql://u:pw4@h/db' } },
        list: [{ token: 'pw5' }],
        error,
        cyclic,
      }),
    );
    for (const secret of ['pw1', 'pw2', 'pw3', 'pw4', 'pw5']) expect(out).not.toContain(secret);
    expect(out).toContain('postgresql://u:***@h/db');
    expect(out).toContain('[Circular]');
  });
});

describe('redactSecrets keeps values as they would be serialized', () => {
  it('serializes dates and buffers, converts maps, and only marks true cycles', () => {
    const shared = { a: 1 };
    const out = redactSecrets({
      at: new Date(0),
      map: new Map<string, unknown>([
        ['password', 'x'],
        ['b', 2],
      ]),
      first: shared,
      second: shared,
      bytes: Buffer.from('hi'),
    });
    expect(out).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      map: { password: '***', b: 2 },
      first: { a: 1 },
      second: { a: 1 },
      bytes: { type: 'Buffer', data: [104, 105] },
    });
  });

  it('keeps the individual errors of an AggregateError, masked', () => {
    const out = redactSecrets(new AggregateError([new Error('password=zz1')], 'two failed')) as {
      errors: { message: string }[];
    };
    expect(out.errors[0]?.message).toBe('password=***');
  });
});
