/**
 * The one place the connection pool defaults live: `PgPool`, `PglitePool`, the HA host pools
 * and `PostgresService` (whose `postgres:` keys are in seconds) all read them from here.
 *
 * - `minSize` 0, `maxSize` 10: connections kept open at least / opened at most.
 * - `acquireTimeoutMs` 5 000: how long `acquire` waits for a free connection.
 * - `idleTimeoutMs` 300 000: idle connections above `minSize` close after five minutes (as
 *   asyncpg and hasql: a connection is expensive to open, cheap to keep).
 * - `prePingIdleMs` 1 000: a connection idle that long is checked before it is handed out.
 * - `prepare` true, `preparedCacheSize` 100: named prepared statements per connection.
 */
export const POOL_DEFAULTS = Object.freeze({
  minSize: 0,
  maxSize: 10,
  acquireTimeoutMs: 5_000,
  idleTimeoutMs: 300_000,
  prePingIdleMs: 1_000,
  prepare: true,
  preparedCacheSize: 100,
} as const);
