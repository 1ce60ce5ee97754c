import { parseDsn } from '../config/dsn.js';
import type { PgPoolConfig } from './pg-types.js';
import { type PoolOptions, type Resolved, resolvePoolOptions } from './pool-options.js';

/** Settings of a {@link PgPool}: the {@link PoolOptions} of every server pool, and its own. */
export interface PgPoolOptions extends PoolOptions {
  /** Shown in `pg_stat_activity`. */
  readonly applicationName?: string;
}

/** {@link PgPoolOptions} with every default applied: what a `PgPool` runs with. */
export type ResolvedPgPoolOptions = Resolved<PgPoolOptions>;

/** Reports an idle connection's failure when nobody listens: never dropped silently. */
function warnIdleError(error: Error, host: string): void {
  process.emitWarning(`An idle database connection to ${host} failed: ${error.message}`, {
    code: 'LIBRETTO_POSTGRES_IDLE_ERROR',
  });
}

/**
 * Checks `options` and applies the defaults; the password is not enumerable, so logging or
 * spreading the result never shows it.
 */
export function resolvePgPoolOptions(options: PgPoolOptions): ResolvedPgPoolOptions {
  return resolvePoolOptions('PgPool', options, ['applicationName'], warnIdleError);
}

/** `host:port` of the server the options point at, for messages (never credentials). */
export function addressOf(options: PgPoolOptions): string {
  let host = options.host;
  let port = options.port;
  if (options.connectionString !== undefined && (host === undefined || port === undefined)) {
    try {
      const dsn = parseDsn(options.connectionString);
      host ??= dsn.host;
      port ??= dsn.port;
    } catch {
      // pg reads connection strings it accepts; the address is only a label.
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}`;
}

/** The `pg.Pool` settings for resolved options. */
export function poolConfig(o: ResolvedPgPoolOptions): PgPoolConfig {
  return {
    ...(o.connectionString === undefined ? {} : { connectionString: o.connectionString }),
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.user === undefined ? {} : { user: o.user }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.database === undefined ? {} : { database: o.database }),
    ...(o.ssl === undefined ? {} : { ssl: o.ssl === false ? false : { ...o.ssl } }),
    ...(o.applicationName === undefined ? {} : { application_name: o.applicationName }),
    min: o.minSize,
    max: o.maxSize,
    idleTimeoutMillis: o.idleTimeoutMs,
    ...(o.maxUses === undefined ? {} : { maxUses: o.maxUses }),
    ...(o.maxLifetimeMs === undefined
      ? {}
      : { maxLifetimeSeconds: Math.max(1, Math.round(o.maxLifetimeMs / 1000)) }),
    ...(o.statementTimeoutMs === undefined ? {} : { statement_timeout: o.statementTimeoutMs }),
  };
}
