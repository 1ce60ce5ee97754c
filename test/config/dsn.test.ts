import { backfillFromDsn, DsnError, formatDsn, parseDsn, ValidationError } from 'libretto';
import { describe, expect, it } from 'vitest';

describe('parseDsn (CFG-3)', () => {
  it('parses a single-host DSN with params', () => {
    const dsn = parseDsn(
      'postgresql://app:pw@db.internal:6432/orders?sslmode=require&application_name=api',
    );
    expect(dsn).toMatchObject({
      scheme: 'postgresql',
      user: 'app',
      host: 'db.internal',
      port: 6432,
      hosts: [{ host: 'db.internal', port: 6432 }],
      database: 'orders',
      params: { sslmode: 'require', application_name: 'api' },
    });
    expect(dsn.password).toBe('pw');
  });

  it('fills the default port of the scheme', () => {
    expect(parseDsn('postgres://h/db').port).toBe(5432);
    expect(parseDsn('mysql://h/db').port).toBe(3306);
    expect(parseDsn('amqp://guest:guest@h').port).toBe(5672);
    expect(parseDsn('custom://h').port).toBeUndefined();
    expect(parseDsn('custom://h', { defaultPort: 9 }).port).toBe(9);
  });

  it('decodes URL-encoded credentials and database', () => {
    const dsn = parseDsn('postgresql://us%40er:p%3Aw%2Fd%40%23@h/my%20db');
    expect(dsn.user).toBe('us@er');
    expect(dsn.password).toBe('p:w/d@#');
    expect(dsn.database).toBe('my db');
  });

  it('takes the last @ as the end of the credentials', () => {
    expect(parseDsn('postgresql://u:p@ss@h/db').password).toBe('p@ss');
  });

  it('parses multi-host DSNs with per-host ports and the default for the rest', () => {
    const dsn = parseDsn('postgresql://u:p@h1:5433,h2,h3:5435/db');
    expect(dsn.hosts).toEqual([
      { host: 'h1', port: 5433 },
      { host: 'h2', port: 5432 },
      { host: 'h3', port: 5435 },
    ]);
  });

  it('applies a trailing port to every host when only the last one has it', () => {
    expect(parseDsn('postgresql://db1,db2,db3:6432/').hosts).toEqual([
      { host: 'db1', port: 6432 },
      { host: 'db2', port: 6432 },
      { host: 'db3', port: 6432 },
    ]);
  });

  it('parses IPv6 hosts in brackets', () => {
    expect(parseDsn('postgresql://[::1]:5433,[fe80::2]/db').hosts).toEqual([
      { host: '::1', port: 5433 },
      { host: 'fe80::2', port: 5432 },
    ]);
  });

  it('accepts a driver suffix in the scheme and no credentials', () => {
    const dsn = parseDsn('postgresql+psycopg://localhost/mydb');
    expect(dsn.scheme).toBe('postgresql+psycopg');
    expect(dsn.user).toBeUndefined();
    expect(dsn.password).toBeUndefined();
    expect(dsn.port).toBe(5432);
  });

  it('never shows the password when logged, spread or serialized', () => {
    const dsn = parseDsn('postgresql://app:hunter2@h/db');
    expect(JSON.stringify(dsn)).not.toContain('hunter2');
    expect(JSON.stringify({ ...dsn })).not.toContain('hunter2');
    expect(formatDsn(dsn)).toBe('postgresql://app:***@h:5432/db');
    expect(formatDsn(dsn, { revealPassword: true })).toBe('postgresql://app:hunter2@h:5432/db');
  });

  it.each([
    ['no scheme', 'localhost:5432/db', /expected "scheme:\/\/…"/],
    ['a non-numeric port', 'postgresql://h:abc/db', /a port is not a number/],
    ['a port out of range', 'postgresql://h:70000/db', /a port is out of range/],
    ['an unencoded / in the password', 'postgresql://u:ab/cd@h/db', /percent-encode it/],
    ['an unencoded ? in the password', 'postgresql://u:12345?x@h/db', /percent-encode it/],
    ['an IPv6 address without brackets', 'postgresql://::1/db', /must be in brackets/],
    ['an empty host in the list', 'postgresql://h1,,h2/db', /empty host/],
    ['a host with no name', 'postgresql://u:p@:5432/db', /missing host name/],
    ['bad percent-encoding', 'postgresql://u:%zz@h/db', /password has malformed percent-encoding/],
    ['an unclosed IPv6 bracket', 'postgresql://[::1/db', /unclosed "\["/],
  ])('rejects %s with a DsnError', (_, input, reason) => {
    let caught: unknown;
    try {
      parseDsn(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DsnError);
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toMatch(reason);
  });

  it('masks the password in its error message', () => {
    expect(() => parseDsn('postgresql://app:TopSecret9@h:99999/db')).toThrow(
      'Invalid DSN "postgresql://app:***@h:99999/db": a port is out of range 1-65535',
    );
  });

  it('never quotes part of a malformed password in its error', () => {
    for (const dsn of [
      'postgresql://app:Se?cr3t@h/db',
      'postgresql://app:Se/cr3t@h/db',
      'postgresql://app:12345?x@h/db',
      'postgresql://app:Se@cr3t@h:0/db',
      'admin:Secr3t@db/app',
    ]) {
      let caught: unknown;
      try {
        parseDsn(dsn);
      } catch (error) {
        caught = error;
      }
      expect(caught, dsn).toBeInstanceOf(DsnError);
      expect((caught as Error).message, dsn).not.toMatch(/cr3t|12345/);
    }
  });

  it('accepts a space in an otherwise well-formed password', () => {
    expect(parseDsn('postgresql://app:Se cr3t@h/db').password).toBe('Se cr3t');
  });

  it('keeps unencoded # and ? characters that belong to the password', () => {
    expect(parseDsn('postgresql://app:p#ss@h/db').password).toBe('p#ss');
    expect(parseDsn('postgresql://h/db?options=-c%20search_path%3Dapp#x').params).toEqual({
      options: '-c search_path=app#x',
    });
  });

  it('takes hosts from ?host= and ?port= when the address has none (libpq)', () => {
    const dsn = parseDsn('postgresql:///app?host=/var/run/postgresql');
    expect(dsn.hosts).toEqual([{ host: '/var/run/postgresql', port: 5432 }]);
    expect(dsn.database).toBe('app');
    expect(parseDsn('postgresql:///app?host=a,b&port=5433,5434').hosts).toEqual([
      { host: 'a', port: 5433 },
      { host: 'b', port: 5434 },
    ]);
    expect(parseDsn('postgresql:///app').hosts).toEqual([]);
  });

  it('decodes a percent-encoded socket directory as the host', () => {
    const dsn = parseDsn('postgresql://app@%2Fvar%2Frun%2Fpostgresql/app');
    expect(dsn.host).toBe('/var/run/postgresql');
    expect(formatDsn(dsn)).toBe('postgresql://app@%2Fvar%2Frun%2Fpostgresql/app');
  });
});

describe('backfillFromDsn', () => {
  it('fills missing fields from the DSN', () => {
    expect(backfillFromDsn({ dsn: 'postgresql://app:pw@db:6432/app?sslmode=disable' })).toEqual({
      dsn: 'postgresql://app:pw@db:6432/app?sslmode=disable',
      host: 'db',
      port: 6432,
      hosts: ['db:6432'],
      user: 'app',
      password: 'pw',
      database: 'app',
      params: { sslmode: 'disable' },
    });
  });

  it('keeps explicit fields over the DSN', () => {
    const filled = backfillFromDsn({
      dsn: 'postgresql://app:pw@db:6432/app?sslmode=disable',
      database: 'other',
      password: 'explicit',
      params: { sslmode: 'require' },
    });
    expect(filled.database).toBe('other');
    expect(filled.password).toBe('explicit');
    expect(filled.user).toBe('app');
    expect(filled.params).toEqual({ sslmode: 'require' });
  });

  it('writes IPv6 hosts in brackets', () => {
    expect(backfillFromDsn({ dsn: 'postgresql://[::1]:5433,[fe80::2]/db' }).hosts).toEqual([
      '[::1]:5433',
      '[fe80::2]:5432',
    ]);
  });

  it('lists every host of a multi-host DSN', () => {
    expect(backfillFromDsn({ dsn: 'postgresql://a,b,c:6432/db' }).hosts).toEqual([
      'a:6432',
      'b:6432',
      'c:6432',
    ]);
  });

  it('returns fields unchanged without a DSN', () => {
    const fields = { host: 'h' };
    expect(backfillFromDsn(fields)).toBe(fields);
  });
});
