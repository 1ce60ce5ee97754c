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
      backend: z.enum(['pg', 'pglite']).optional(),
      dsn: z.string().optional(),
      host: z.string().optional(),
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
      log_statements: z.boolean().optional(),
      log_parameters: z.boolean().optional(),
    })
    .default({}),
);

/** Database settings in effect, after precedence (constructor > DI > defaults). */
export interface PostgresSettings {
  /** `pg` for a server, `pglite` for the embedded database. Default: `pg` when a DSN or host is set. */
  readonly backend: 'pg' | 'pglite' | undefined;
  readonly dsn: string | undefined;
  /** `host`, `host:port`, or (for the HA backend) several, comma-separated. */
  readonly host: string | undefined;
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
}

export const POSTGRES_DEFAULTS: PostgresSettings = {
  backend: undefined,
  dsn: undefined,
  host: undefined,
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
};

/** The `postgres:` section's snake_case keys as settings. */
export function settingsFromPostgresConfig(
  c: z.output<typeof PostgresConfig.schema>,
): SettingsLayer<PostgresSettings> {
  return {
    backend: c.backend,
    dsn: c.dsn,
    host: c.host,
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
  };
}
