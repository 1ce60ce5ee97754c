import { ConfigError, DsnError, parseDsn } from 'libretto';
import { describe, expect, it } from 'vitest';
import { capturedLogger } from './log-capture.js';

const SECRETS = ['Pg-S3cret', 'Env-S3cret', 'Tok-S3cret', 'Cause-S3cret', 'Key-S3cret'];

describe('logger secret masking (CFG-5)', () => {
  it('never writes a secret from a failed connection config', () => {
    const capture = capturedLogger();
    const connection = {
      dsn: 'postgresql://app:Pg-S3cret@db.internal:5432/app',
      user: 'app',
      password: 'Env-S3cret',
      headers: { authorization: 'Bearer Tok-S3cret' },
    };
    const failure = new Error(`connect to ${connection.dsn} failed`, {
      cause: new Error('libpq: host=db password=Cause-S3cret sslmode=require'),
    });
    capture.logger.error({ err: failure, connection }, `cannot connect using ${connection.dsn}`);
    capture.logger.warn(failure);
    capture.logger.info('config %j', { apiKey: 'Key-S3cret', host: 'db' });
    capture.logger.child({ password: 'Env-S3cret' }).info('child line');

    const text = capture.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // Still useful: the non-secret parts are there.
    expect(text).toContain('postgresql://app:***@db.internal:5432/app');
    expect(text).toContain('"password":"***"');
    expect(text).toContain('host=db password=*** sslmode=require');
    const [first, second] = capture.lines;
    expect(first?.msg).toBe('cannot connect using postgresql://app:***@db.internal:5432/app');
    expect(second?.msg).toBe('connect to postgresql://app:***@db.internal:5432/app failed');
  });

  it('errors Libretto builds from secrets mask them in their own messages', () => {
    let dsnError: unknown;
    try {
      parseDsn('postgresql://app:Pg-S3cret@db:0/app');
    } catch (error) {
      dsnError = error;
    }
    expect(dsnError).toBeInstanceOf(DsnError);
    const config = new ConfigError([
      { path: 'db.dsn', message: 'bad postgresql://u:Env-S3cret@h/db' },
    ]);
    const capture = capturedLogger();
    capture.logger.error({ err: dsnError }, 'dsn');
    capture.logger.error({ err: config }, 'config');
    for (const secret of SECRETS) expect(capture.text()).not.toContain(secret);
    expect(String((dsnError as Error).message)).not.toContain('Pg-S3cret');
    expect(config.message).not.toContain('Env-S3cret');
  });
});
