import { ConfigError } from '../config/config-errors.js';
import { invalidOption } from '../errors/invalid-option.js';
import { POOL_DEFAULTS } from './pool-defaults.js';
import {
  type BackendName,
  type BackendSelection,
  type ISOLATION_LEVELS,
  inferBackend,
  KEY_BACKENDS,
  type PostgresSection,
  selectedBackend,
} from './postgres-config.js';

/** Settings every backend takes. Durations in seconds, as in the `postgres:` section. */
export interface SharedSettings {
  /** Seconds to wait for a free connection before `DependencyUnavailableError` (5). */
  readonly acquireTimeout: number;
  /** One `debug` line per statement (false). */
  readonly logStatements: boolean;
  /** Include parameter values in those lines (false). */
  readonly logParameters: boolean;
  /**
   * Isolation of transactions that do not name one (`transactional()`, `Database.transaction`,
   * `RequestTransaction.start`); unset: the server's `default_transaction_isolation`
   * (read committed unless the server says otherwise).
   */
  readonly isolationLevel: IsolationLevel | undefined;
}

/** An isolation level, as `transactional({ isolation })` names it. */
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/** Settings of the backends that run a `pg` pool (`pg`, `ha`, `embedded`): each server's pool. */
export interface PoolSettings extends SharedSettings {
  /** Connections kept open at least / opened at most, per server (0, 10). */
  readonly minSize: number;
  readonly maxSize: number;
  /** Uses of a connection before it is replaced. */
  readonly maxQueries: number | undefined;
  /** Seconds an idle connection above `minSize` is kept (300). */
  readonly maxInactiveConnectionLifetime: number;
  /** Seconds before a connection is replaced, busy or not. */
  readonly maxLifetime: number | undefined;
  /** Server-side statement timeout in seconds (none: the server's `statement_timeout`, 0 = off). */
  readonly statementTimeout: number | undefined;
  /**
   * Client-side limit in seconds on waiting for a statement's answer (none): a frozen server
   * or a silent partition then fails the statement with `DB_QUERY_TIMEOUT` and the connection
   * is closed, not reused. Set it above `statement_timeout`.
   */
  readonly queryTimeout: number | undefined;
  /** Shown in `pg_stat_activity` and the server's log (over the DSN's `application_name`; none). */
  readonly applicationName: string | undefined;
  /** Check connections idle for a second or more before handing them out (true). */
  readonly prePing: boolean;
  /** Automatic prepared statements; off behind PgBouncer in transaction mode (true). */
  readonly prepare: boolean;
}

/** Settings of the backends with a server of the user's (`pg`, `ha`): where and as whom. */
export interface ServerSettings extends PoolSettings {
  /** `postgresql://user:password@host:port/database?sslmode=…`; the explicit fields win over it. */
  readonly dsn: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
}

/** The embedded PostgreSQL server, started and stopped with the service. */
export interface EmbeddedSettings extends PoolSettings {
  readonly backend: 'embedded';
  /**
   * Where the server keeps its data (`.data/postgres` under the working directory;
   * `.data/pglite` when PGlite stands in); `:memory:` for a throwaway database.
   */
  readonly dataDir: string | undefined;
}

/** One PostgreSQL server through `pg`. */
export interface PgSettings extends ServerSettings {
  readonly backend: 'pg';
  /** `host` or `host:port`, over the DSN's. */
  readonly host: string | undefined;
  /** The server's port, over the DSN's (5432); `host:port` with another port is refused. */
  readonly port: number | undefined;
}

/** The in-process PGlite database. */
export interface PgliteSettings extends SharedSettings {
  readonly backend: 'pglite';
  /** Where to keep the data; in memory when unset or `:memory:`. */
  readonly dataDir: string | undefined;
}

/** A cluster of one master and its replicas (`libretto/postgres/ha`). Unset tuning keys take the pool manager's defaults. */
export interface HaSettings extends ServerSettings {
  readonly backend: 'ha';
  /** Every host of the cluster, `host:port` each (else the DSN's). */
  readonly hosts: readonly string[] | undefined;
  /** Masters and replicas that must be up before the service starts and while ready (1, 0). */
  readonly minMasters: number;
  readonly minReplicas: number;
  /** Seconds between checks of a host, and the limit on one check. */
  readonly refreshDelay: number | undefined;
  readonly refreshTimeout: number | undefined;
  /** Reads use the master when no replica is up. */
  readonly fallbackMaster: boolean | undefined;
  /** Chance (0–1) that the master also serves a read. */
  readonly masterAsReplicaWeight: number | undefined;
  readonly balancerPolicy: 'greedy' | 'random_weighted' | 'round_robin' | undefined;
  readonly stopwatchWindowSize: number | undefined;
  /** A replica further behind (WAL bytes / seconds of replay) serves reads only as a last resort. */
  readonly maxLagBytes: number | undefined;
  readonly maxLagSeconds: number | undefined;
}

/** The database settings in effect: their shape depends on the backend. */
export type PostgresSettings = EmbeddedSettings | PgSettings | PgliteSettings | HaSettings;

/** The settings of backend `N`. */
export type SettingsOf<N extends BackendName> = Extract<PostgresSettings, { backend: N }>;

/** Defaults of the settings that have one; the pool's come from `POOL_DEFAULTS`. */
export const POSTGRES_DEFAULTS = Object.freeze({
  acquireTimeout: POOL_DEFAULTS.acquireTimeoutMs / 1000,
  logStatements: false,
  logParameters: false,
  minSize: POOL_DEFAULTS.minSize,
  maxSize: POOL_DEFAULTS.maxSize,
  maxInactiveConnectionLifetime: POOL_DEFAULTS.idleTimeoutMs / 1000,
  // Pre-ping after POOL_DEFAULTS.prePingIdleMs of idleness.
  prePing: true,
  prepare: POOL_DEFAULTS.prepare,
  minMasters: 1,
  minReplicas: 0,
});

/** `max_size` → `maxSize`. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Which backends take each setting (camelCase), from the section's key table. */
const SETTING_BACKENDS = new Map(
  Object.entries(KEY_BACKENDS).map(([key, owners]) => [camelKey(key), owners]),
);

/** Every setting's name (camelCase). */
export const SETTING_KEYS: ReadonlySet<string> = new Set(SETTING_BACKENDS.keys());

/** The `postgres:` section as settings (camelCase keys, only those given). */
export function settingsFromSection(section: PostgresSection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (value === undefined) continue;
    out[camelKey(key)] =
      key === 'hosts' ? (value as string[]).map((h) => h.trim()).filter((h) => h !== '') : value;
  }
  return out;
}

/**
 * The settings in effect: `explicit` (constructor options) over `provided` (the `postgres:`
 * section) over the defaults. A key the selected backend does not take is refused: a
 * `UsageError` when it came from code, a `ConfigError` naming the `postgres:` key when it came
 * from the configuration.
 */
export function resolvePostgresSettings(
  provided: Readonly<Record<string, unknown>>,
  explicit: Readonly<Record<string, unknown>>,
): PostgresSettings {
  const merged: Record<string, unknown> = { ...provided };
  for (const [key, value] of Object.entries(explicit)) if (value !== undefined) merged[key] = value;
  const backend = selectedBackend(merged);
  checkBackendKeys('PostgresService', explicit, backend);
  const foreign = Object.keys(provided).filter((k) => !ownedBy(k, backend));
  if (foreign.length > 0) {
    throw new ConfigError(
      foreign.map((key) => ({
        path: `postgres.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
        message: `belongs to backend ${SETTING_BACKENDS.get(key)?.join(' or ')}, but the settings select backend ${backend}`,
      })),
    );
  }
  return { ...POSTGRES_DEFAULTS, ...merged, backend } as unknown as PostgresSettings;
}

/**
 * Refuses (UsageError `INVALID_OPTION`) each setting of `options` that `backend` does not
 * take; with no backend given, the one `options` select, if they select one.
 */
export function checkBackendKeys(
  where: string,
  options: Readonly<Record<string, unknown>>,
  backend = inferBackend(options as BackendSelection),
): void {
  if (backend === undefined) return;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || ownedBy(key, backend)) continue;
    invalidOption(
      where,
      key,
      `belongs to backend ${SETTING_BACKENDS.get(key)?.join(' or ')}, but the settings select backend ${backend}`,
    );
  }
}

function ownedBy(key: string, backend: BackendName): boolean {
  return SETTING_BACKENDS.get(key)?.includes(backend) ?? true;
}
