import { invalidOption } from '../errors/invalid-option.js';

// PostgreSQL truncates identifiers to 63 bytes: a longer channel would silently be another.
const CHANNEL = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * The `LISTEN` statement for `channel`, which must be a plain identifier (letters, digits,
 * `_`, at most 63): quoted, so that its case is kept as `pg_notify(channel, …)` keeps it.
 */
export function listenStatement(where: string, channel: string): string {
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    invalidOption(where, 'channel', 'must be an identifier of letters, digits and _ (at most 63)');
  }
  return `LISTEN "${channel}"`;
}
