// The one form of a failure's reason in every connection message, single-host and HA.
import { describe, expect, it } from 'vitest';
import { failureReason } from '../../src/postgres/connect-failure.js';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('failureReason', () => {
  it("the server's words, then the SQLSTATE", () => {
    const error = coded('database "ap" does not exist', '3D000');
    expect(failureReason(error)).toBe('database "ap" does not exist (SQLSTATE 3D000)');
  });

  it('a socket error in words with its code, also one of five letters', () => {
    expect(failureReason(coded('connect ECONNREFUSED 10.0.0.3:5432', 'ECONNREFUSED'))).toBe(
      'connection refused (ECONNREFUSED)',
    );
    expect(failureReason(coded('write EPIPE', 'EPIPE'))).toBe('write EPIPE (EPIPE)');
  });

  it('masks a secret a message quotes', () => {
    const error = new Error('bad dsn postgresql://app:s3cret@db/app');
    expect(failureReason(error)).toBe('bad dsn postgresql://app:***@db/app');
    expect(failureReason(error)).not.toContain('s3cret');
  });

  it('anything thrown, as text', () => {
    expect(failureReason('gone')).toBe('gone');
  });
});
