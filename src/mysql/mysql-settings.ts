import { ConfigError, DsnError } from '../config/config-errors.js';
import { parseDsn } from '../config/dsn.js';
import type { IsolationLevel } from '../postgres/postgres-settings.js';
import { POSTGRES_DEFAULTS } from '../postgres/postgres-settings.js';
import type { MysqlSection } from './mysql-config.js';

/** The MySQL settings in effect. Durations in seconds, as in the `mysql:` section. */
export interface MysqlSettings {
  /** `mysql://user:password@host:port/database`; the explicit keys win over its parts. */
  readonly dsn: string | undefined;
  /** The server (`localhost`). */
  readonly host: string;
  /** Its port (3306). */
  readonly port: number;
  /** Who to log in as (`root`). */
  readonly user: string;
  /** Its password (none); never enumerable, never logged. */
  readonly password: string | undefined;
  /** The database (none: statements name theirs). */
  readonly database: string | undefined;
  /** Connections kept open at least / opened at most (0, 10). */
  readonly minSize: number;
  readonly maxSize: number;
  /** Seconds to wait for a free connection before `DependencyUnavailableError` (5). */
  readonly acquireTimeout: number;
  /** Uses of a connection before it is replaced. */
  readonly maxQueries: number | undefined;
  /** Seconds an idle connection above `minSize` is kept (300). */
  readonly maxInactiveConnectionLifetime: number;
  /** Seconds before a connection is replaced, busy or not. */
  readonly maxLifetime: number | undefined;
  /** Server-side statement limit in seconds (MariaDB `max_statement_time`, MySQL `max_execution_time`). */
  readonly statementTimeout: number | undefined;
  /** Client-side limit in seconds on waiting for an answer (none); the connection is then closed. */
  readonly queryTimeout: number | undefined;
  /** Check connections idle for a second or more before handing them out (true). */
  readonly prePing: boolean;
  /** Server-side prepared statements for statements with values (true). */
  readonly prepare: boolean;
  /** One `debug` line per statement (false); with the values only if `logParameters`. */
  readonly logStatements: boolean;
  readonly logParameters: boolean;
  /** Isolation of transactions that name none; unset: the server's (repeatable read). */
  readonly isolationLevel: IsolationLevel | undefined;
}

/** The environment variables rococo reads, and the setting each one fills. */
export const MYSQL_SEED_VARIABLES = {
  MYSQL_HOST: 'host',
  MYSQL_PORT: 'port',
  MYSQL_USER: 'user',
  MYSQL_PASSWORD: 'password',
  MYSQL_DATABASE: 'database',
} as const;

/** Defaults of the settings that have one (the pool's are PostgreSQL's). */
export const MYSQL_DEFAULTS = Object.freeze({
  host: 'localhost',
  port: 3306,
  user: 'root',
  minSize: POSTGRES_DEFAULTS.minSize,
  maxSize: POSTGRES_DEFAULTS.maxSize,
  acquireTimeout: POSTGRES_DEFAULTS.acquireTimeout,
  maxInactiveConnectionLifetime: POSTGRES_DEFAULTS.maxInactiveConnectionLifetime,
  prePing: POSTGRES_DEFAULTS.prePing,
  prepare: POSTGRES_DEFAULTS.prepare,
  logStatements: false,
  logParameters: false,
});

/** Every setting's name (camelCase). */
export const MYSQL_SETTING_KEYS: ReadonlySet<string> = new Set([
  'dsn',
  'password',
  'database',
  'maxQueries',
  'maxLifetime',
  'statementTimeout',
  'queryTimeout',
  'isolationLevel',
  ...Object.keys(MYSQL_DEFAULTS),
]);

type Layer = { -readonly [K in keyof MysqlSettings]?: MysqlSettings[K] | undefined };

/** The `mysql:` section as settings (camelCase keys, only those given). */
export function settingsFromSection(section: MysqlSection): Layer {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (value !== undefined)
      out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out as Layer;
}

/** What the seed's variables (`MYSQL_HOST`, …) say; a bad `MYSQL_PORT` is a `ConfigError`. */
export function settingsFromSeedEnv(env: Readonly<Record<string, string | undefined>>): Layer {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(MYSQL_SEED_VARIABLES)) {
    const value = env[name];
    if (value === undefined || (value === '' && key !== 'password')) continue;
    if (key === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new ConfigError([
          { path: 'mysql.port', source: name, message: `"${value}" is not a port number` },
        ]);
      }
      out.port = port;
    } else out[key] = value;
  }
  return out as Layer;
}

/** The parts of a `mysql://` or `mariadb://` DSN. */
function settingsFromDsn(dsn: string): Layer {
  const parsed = parseDsn(dsn);
  if (parsed.scheme !== 'mysql' && parsed.scheme !== 'mariadb') {
    throw new DsnError(dsn, `scheme ${parsed.scheme}:// is not mysql:// or mariadb://`);
  }
  const out: Layer = {};
  if (parsed.host !== undefined) out.host = parsed.host;
  if (parsed.port !== undefined) out.port = parsed.port;
  if (parsed.user !== undefined) out.user = parsed.user;
  if (parsed.password !== undefined) out.password = parsed.password;
  if (parsed.database !== undefined) out.database = parsed.database;
  return out;
}

/**
 * The settings in effect, key by key: `explicit` (constructor options) over `provided` (the
 * `mysql:` section: YAML and `LIBRETTO_MYSQL__*`), then the DSN's parts, then the seed's
 * variables (`MYSQL_HOST`…), then the defaults. The password is not enumerable.
 */
export function resolveMysqlSettings(
  provided: Layer,
  explicit: Layer,
  env: Readonly<Record<string, string | undefined>> = {},
): MysqlSettings {
  const merged: Record<string, unknown> = { ...provided };
  for (const [key, value] of Object.entries(explicit)) if (value !== undefined) merged[key] = value;
  const fromDsn = typeof merged.dsn === 'string' ? settingsFromDsn(merged.dsn) : {};
  const seed = settingsFromSeedEnv(env);
  const out: Record<string, unknown> = { ...MYSQL_DEFAULTS };
  for (const key of MYSQL_SETTING_KEYS) {
    const value =
      merged[key] ??
      (fromDsn as Record<string, unknown>)[key] ??
      (seed as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  const password = out.password;
  delete out.password;
  // Not enumerable: spreading or logging the settings never shows it.
  Object.defineProperty(out, 'password', { value: password, enumerable: false });
  return Object.freeze(out) as unknown as MysqlSettings;
}
