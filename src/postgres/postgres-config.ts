import * as z from 'zod';
import { configSection } from '../config/config-section.js';
import type { SettingsLayer } from '../config/settings.js';

/**
 * The `postgres:` configuration section (SPEC PG-7), also the DI token of database settings.
 * Durations are in seconds. Without `dsn` or `host` the embedded database (PGlite) is used.
 * The section may be left out (all defaults).
 */
export const PostgresConfig = configSection(
  'postgres',
  z
    .strictObject({
      backend: z.enum(['pg', 'pglite', 'ha']).optional(),
      dsn: z.string().optional(),
      host: z.string().optional(),
      hosts: z
        .union([z.array(z.string()).min(1), z.string().transform((t) => t.split(','))])
        .optional(),
      user: z.string().optional(),
      password: z.string().optional(),
      database: z.string().optional(),
      min_size: z.number().int().min(0).optional(),
      max_size: z.number().int().min(1).optional(),
      max_queries: z.number().int().min(1).optional(),
      max_inactive_connection_lifetime: z.number().positive().optional(),
      max_lifetime: z.number().positive().optional(),
      acquire_timeout: z.number().positive().optional(),
      statement_timeout: z.number().positive().optional(),
      pre_ping: z.boolean().optional(),
      prepare: z.boolean().optional(),
      data_dir: z.string().optional(),
      min_masters: z.number().int().min(0).optional(),
      min_replicas: z.number().int().min(0).optional(),
      refresh_delay: z.number().positive().optional(),
      refresh_timeout: z.number().positive().optional(),
      fallback_master: z.boolean().optional(),
      master_as_replica_weight: z.number().min(0).max(1).optional(),
      balancer_policy: z.enum(['greedy', 'random_weighted', 'round_robin']).optional(),
      stopwatch_window_size: z.number().int().min(1).optional(),
      max_lag_bytes: z.number().int().min(0).optional(),
      max_lag_seconds: z.number().min(0).optional(),
      log_statements: z.boolean().optional(),
      log_parameters: z.boolean().optional(),
    })
    .default({}),
);

/** Database settings in effect, after precedence (constructor > DI > defaults). */
export interface PostgresSettings {
  /**
   * `pg` for a server, `ha` for a cluster (SPEC section 4), `pglite` for the embedded database.
   * Default: `ha` with `hosts` or a DSN naming several hosts, `pg` with a DSN or host, else `pglite`.
   */
  readonly backend: 'pg' | 'pglite' | 'ha' | undefined;
  readonly dsn: string | undefined;
  /** `host` or `host:port`. */
  readonly host: string | undefined;
  /** HA: every host of the cluster, `host:port` each. */
  readonly hosts: readonly string[] | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly minSize: number;
  readonly maxSize: number;
  /** Uses of a connection before it is replaced. */
  readonly maxQueries: number | undefined;
  /** Seconds an idle connection is kept. */
  readonly maxInactiveConnectionLifetime: number;
  /** Seconds before a connection is replaced, busy or not. */
  readonly maxLifetime: number | undefined;
  /** Seconds to wait for a free connection before DependencyUnavailableError. */
  readonly acquireTimeout: number;
  /** Server-side statement timeout in seconds. */
  readonly statementTimeout: number | undefined;
  /** Check connections idle for a second or more before handing them out. */
  readonly prePing: boolean;
  /** Automatic prepared statements (turn off behind PgBouncer in transaction mode). */
  readonly prepare: boolean;
  /** PGlite: where to keep the data; in memory when unset. */
  readonly dataDir: string | undefined;
  readonly logStatements: boolean;
  readonly logParameters: boolean;
  /** HA: masters and replicas that must be up before the service starts and while ready. */
  readonly minMasters: number;
  readonly minReplicas: number;
  /** HA: seconds between checks of a host, and the limit on one check. */
  readonly refreshDelay: number;
  readonly refreshTimeout: number;
  /** HA: reads use the master when no replica is up. */
  readonly fallbackMaster: boolean;
  /** HA: chance (0–1) that the master also serves a read. */
  readonly masterAsReplicaWeight: number;
  readonly balancerPolicy: 'greedy' | 'random_weighted' | 'round_robin';
  readonly stopwatchWindowSize: number;
  /** HA: a replica further behind (WAL bytes / seconds of replay) serves reads only as a last resort. */
  readonly maxLagBytes: number | undefined;
  readonly maxLagSeconds: number | undefined;
}

export const POSTGRES_DEFAULTS: PostgresSettings = {
  backend: undefined,
  dsn: undefined,
  host: undefined,
  hosts: undefined,
  user: undefined,
  password: undefined,
  database: undefined,
  minSize: 0,
  maxSize: 10,
  maxQueries: undefined,
  maxInactiveConnectionLifetime: 300,
  maxLifetime: undefined,
  acquireTimeout: 5,
  statementTimeout: undefined,
  prePing: true,
  prepare: true,
  dataDir: undefined,
  logStatements: false,
  logParameters: false,
  minMasters: 1,
  minReplicas: 0,
  refreshDelay: 1,
  refreshTimeout: 1,
  fallbackMaster: false,
  masterAsReplicaWeight: 0,
  balancerPolicy: 'greedy',
  stopwatchWindowSize: 128,
  maxLagBytes: undefined,
  maxLagSeconds: undefined,
};

/** The `postgres:` section's snake_case keys as settings. */
export function settingsFromPostgresConfig(
  c: z.output<typeof PostgresConfig.schema>,
): SettingsLayer<PostgresSettings> {
  return {
    backend: c.backend,
    dsn: c.dsn,
    host: c.host,
    hosts: c.hosts?.map((h) => h.trim()).filter((h) => h !== ''),
    user: c.user,
    password: c.password,
    database: c.database,
    minSize: c.min_size,
    maxSize: c.max_size,
    maxQueries: c.max_queries,
    maxInactiveConnectionLifetime: c.max_inactive_connection_lifetime,
    maxLifetime: c.max_lifetime,
    acquireTimeout: c.acquire_timeout,
    statementTimeout: c.statement_timeout,
    prePing: c.pre_ping,
    prepare: c.prepare,
    dataDir: c.data_dir,
    logStatements: c.log_statements,
    logParameters: c.log_parameters,
    minMasters: c.min_masters,
    minReplicas: c.min_replicas,
    refreshDelay: c.refresh_delay,
    refreshTimeout: c.refresh_timeout,
    fallbackMaster: c.fallback_master,
    masterAsReplicaWeight: c.master_as_replica_weight,
    balancerPolicy: c.balancer_policy,
    stopwatchWindowSize: c.stopwatch_window_size,
    maxLagBytes: c.max_lag_bytes,
    maxLagSeconds: c.max_lag_seconds,
  };
}
