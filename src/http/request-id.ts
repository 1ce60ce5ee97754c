import { randomBytes } from 'node:crypto';

/** What an incoming `X-Request-Id` may look like to be kept (else a new one is made). */
export const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Request ids as `<48 random bits in hex>-<counter in base 36>` (e.g. `9f86d081884c-1a`):
 * unique within a server, and practically across servers and restarts, at a fraction of
 * the cost of a UUID per request. They correlate logs; they are not secrets.
 */
export function requestIdGenerator(): () => string {
  const prefix = `${randomBytes(6).toString('hex')}-`;
  let counter = 0;
  return () => prefix + (++counter).toString(36);
}
