import { backfillFromDsn } from '../config/dsn.js';
import { invalidOption } from '../errors/invalid-option.js';
import type { PgPoolOptions } from './pg-pool-options.js';
import { POOL_DEFAULTS } from './pool-defaults.js';
import type { BackendContext } from './postgres-backend.js';
import type { PoolSettings, ServerSettings } from './postgres-settings.js';

/** Where and as whom to connect, from the settings: explicit fields over the DSN's. */
export interface ServerConnection {
  /** `host:port` of every host (one for `pg`). */
  readonly hosts: readonly string[];
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  /** From the DSN's `sslmode` and `application_name`. */
  readonly ssl: PgPoolOptions['ssl'];
  readonly applicationName: string | undefined;
}

/**
 * The connection of `settings`: the DSN first, then explicit fields over it, through the one
 * merge function of the configuration layer (`backfillFromDsn`). `host` may be `host:port`, or
 * the port given apart (`port`); `hosts` (HA) are `host:port` each. `application_name` is the
 * setting's, else the DSN's.
 */
export function serverConnection(
  settings: ServerSettings & {
    readonly host?: string | undefined;
    readonly port?: number | undefined;
    readonly hosts?: readonly string[] | undefined;
  },
): ServerConnection {
  const [host, inHost] = settings.host === undefined ? [] : settings.host.split(':');
  const port = portOf(inHost, settings.port);
  const merged = backfillFromDsn({
    dsn: settings.dsn,
    host,
    port,
    hosts: settings.hosts ?? (host === undefined ? undefined : [`${host}:${port ?? 5432}`]),
    user: settings.user,
    password: settings.password,
    database: settings.database,
  });
  const params = { ...merged.params };
  const ssl = sslOf(params.sslmode);
  const applicationName = settings.applicationName ?? params.application_name;
  delete params.sslmode;
  delete params.application_name;
  // Refused rather than ignored: an ignored parameter would silently change what runs.
  for (const key of Object.keys(params)) {
    invalidOption(
      'PostgresService',
      'dsn',
      `parameter ${key} is not supported (sslmode, application_name)`,
    );
  }
  return {
    hosts: merged.hosts ?? [],
    host: merged.host,
    port: merged.port,
    user: merged.user,
    password: merged.password,
    database: merged.database,
    ssl,
    applicationName,
  };
}

/** The port of `host:port` and the `port` setting: one, or both the same. */
function portOf(inHost: string | undefined, setting: number | undefined): number | undefined {
  if (inHost === undefined) return setting;
  const port = Number(inHost);
  if (setting !== undefined && setting !== port) {
    invalidOption(
      'PostgresService',
      'port',
      `is ${setting} but host names port ${inHost}: give the port once`,
    );
  }
  return port;
}

function sslOf(mode: string | undefined): PgPoolOptions['ssl'] {
  if (mode === undefined) return undefined;
  if (mode === 'disable') return false;
  if (mode === 'require' || mode === 'prefer' || mode === 'allow')
    return { rejectUnauthorized: false };
  if (mode === 'verify-ca' || mode === 'verify-full') return { rejectUnauthorized: true };
  return invalidOption(
    'PostgresService',
    'dsn',
    `sslmode=${mode} is not one of disable, allow, prefer, require, verify-ca, verify-full`,
  );
}

/** The pool options of each server, from the settings (seconds become milliseconds). */
export function serverPoolOptions(
  s: PoolSettings,
  connection: Pick<ServerConnection, 'ssl' | 'applicationName'>,
  context: BackendContext,
): PgPoolOptions {
  return {
    minSize: s.minSize,
    maxSize: s.maxSize,
    acquireTimeoutMs: s.acquireTimeout * 1000,
    idleTimeoutMs: s.maxInactiveConnectionLifetime * 1000,
    ...(s.maxQueries === undefined ? {} : { maxUses: s.maxQueries }),
    ...(s.maxLifetime === undefined ? {} : { maxLifetimeMs: s.maxLifetime * 1000 }),
    ...(s.statementTimeout === undefined ? {} : { statementTimeoutMs: s.statementTimeout * 1000 }),
    ...(s.queryTimeout === undefined ? {} : { queryTimeoutMs: s.queryTimeout * 1000 }),
    ...(connection.ssl === undefined ? {} : { ssl: connection.ssl }),
    ...(connection.applicationName === undefined
      ? {}
      : { applicationName: connection.applicationName }),
    prePingIdleMs: s.prePing ? POOL_DEFAULTS.prePingIdleMs : false,
    prepare: s.prepare,
    ...(context.onConnect === undefined ? {} : { onConnect: context.onConnect }),
    onIdleError: context.onIdleError,
  };
}
