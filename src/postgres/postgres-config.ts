import * as z from 'zod';
import { configSection } from '../config/config-section.js';
import { parseDsn } from '../config/dsn.js';

const seconds = () => z.number().positive().optional();

/** The isolation levels PostgreSQL has, as `transactional({ isolation })` names them. */
export const ISOLATION_LEVELS = ['read committed', 'repeatable read', 'serializable'] as const;

/** Keys every backend takes. */
const SHARED = {
  backend: z.enum(['embedded', 'pg', 'pglite', 'ha']).optional(),
  acquire_timeout: seconds(),
  log_statements: z.boolean().optional(),
  log_parameters: z.boolean().optional(),
  isolation_level: z.enum(ISOLATION_LEVELS).optional(),
};

/** Keys of the backends with a server of the user's (`pg`, `ha`): where and as whom. */
const SERVER = {
  dsn: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().optional(),
};

/** Keys of the backends that run a `pg` pool (`pg`, `ha`, `embedded`): the pool per server. */
const POOL = {
  min_size: z.number().int().min(0).optional(),
  max_size: z.number().int().min(1).optional(),
  max_queries: z.number().int().min(1).optional(),
  max_inactive_connection_lifetime: seconds(),
  max_lifetime: seconds(),
  statement_timeout: seconds(),
  query_timeout: seconds(),
  application_name: z.string().min(1).optional(),
  pre_ping: z.boolean().optional(),
  prepare: z.boolean().optional(),
};

const PG = {
  host: z.string().optional(),
  port: z.number().int().min(1).max(65_535).optional(),
};

const HA = {
  hosts: z
    .union([z.array(z.string()).min(1), z.string().transform((t) => t.split(','))])
    .optional(),
  min_masters: z.number().int().min(0).optional(),
  min_replicas: z.number().int().min(0).optional(),
  refresh_delay: seconds(),
  refresh_timeout: seconds(),
  fallback_master: z.boolean().optional(),
  master_as_replica_weight: z.number().min(0).max(1).optional(),
  balancer_policy: z.enum(['greedy', 'random_weighted', 'round_robin']).optional(),
  stopwatch_window_size: z.number().int().min(1).optional(),
  max_lag_bytes: z.number().int().min(0).optional(),
  max_lag_seconds: z.number().min(0).optional(),
};

/** Where the embedded database keeps its data (`:memory:`: nowhere that lasts). */
const LOCAL = { data_dir: z.string().min(1).optional() };

/** The backends `backend:` names. */
export type BackendName = 'embedded' | 'pg' | 'pglite' | 'ha';

/** Which backends take each `postgres:` key (the shared ones: all four). */
export const KEY_BACKENDS: Readonly<Record<string, readonly BackendName[]>> = Object.fromEntries([
  ...Object.keys(SHARED).map((k) => [k, ['embedded', 'pg', 'pglite', 'ha']]),
  ...Object.keys(SERVER).map((k) => [k, ['pg', 'ha']]),
  ...Object.keys(POOL).map((k) => [k, ['embedded', 'pg', 'ha']]),
  ...Object.keys(PG).map((k) => [k, ['pg']]),
  ...Object.keys(HA).map((k) => [k, ['ha']]),
  ...Object.keys(LOCAL).map((k) => [k, ['embedded', 'pglite']]),
]);

type Shape<T extends Record<string, z.ZodType>> = { -readonly [K in keyof T]?: z.output<T[K]> };
type Never<T> = { readonly [K in keyof T]?: undefined };
type Shared = Shape<typeof SHARED>;
type Server = Shape<typeof SERVER> & Shape<typeof POOL>;

/** The `postgres:` section of the embedded PostgreSQL server (or selecting none). */
export type EmbeddedSection = Omit<Shared, 'backend'> &
  Shape<typeof POOL> &
  Shape<typeof LOCAL> &
  Never<typeof SERVER & typeof PG & typeof HA> & { readonly backend?: 'embedded' | undefined };
/** The `postgres:` section selecting the `pg` backend. */
export type PgSection = Omit<Shared, 'backend'> &
  Server &
  Shape<typeof PG> &
  Never<typeof HA & typeof LOCAL> & { readonly backend?: 'pg' | undefined };
/** The `postgres:` section of the in-process PGlite. */
export type PgliteSection = Omit<Shared, 'backend'> &
  Shape<typeof LOCAL> &
  Never<typeof SERVER & typeof POOL & typeof PG & typeof HA> & {
    readonly backend?: 'pglite' | undefined;
  };
/** The `postgres:` section of an HA cluster. */
export type HaSection = Omit<Shared, 'backend'> &
  Server &
  Shape<typeof HA> &
  Never<typeof PG & typeof LOCAL> & { readonly backend?: 'ha' | undefined };
/** The `postgres:` section: its keys depend on the backend it selects. */
export type PostgresSection = EmbeddedSection | PgSection | PgliteSection | HaSection;

/** What selects a backend: `backend` itself, or the way the server is named. */
export interface BackendSelection {
  readonly backend?: BackendName | undefined;
  readonly hosts?: readonly string[] | undefined;
  readonly dsn?: string | undefined;
  readonly host?: string | undefined;
}

/**
 * The backend settings select, if they select one: `backend` when given; else `ha` with
 * `hosts` or a DSN naming several hosts, `pg` with a DSN or `host`.
 */
export function inferBackend(s: BackendSelection): BackendName | undefined {
  if (s.backend !== undefined) return s.backend;
  if (s.hosts !== undefined) return 'ha';
  if (s.dsn !== undefined) return parseDsn(s.dsn).hosts.length > 1 ? 'ha' : 'pg';
  return s.host === undefined ? undefined : 'pg';
}

/** The backend settings select: {@link inferBackend}, else the `embedded` server. */
export function selectedBackend(s: BackendSelection): BackendName {
  return inferBackend(s) ?? 'embedded';
}

/** Reports each key the selected backend does not take, naming the backend it belongs to. */
function keysOfOtherBackends(section: Record<string, unknown>, ctx: z.RefinementCtx): void {
  let backend: BackendName | undefined;
  try {
    // A section that selects nothing may be completed by constructor options: checked later.
    backend = inferBackend(section as BackendSelection);
  } catch {
    return; // a malformed DSN is reported when it is parsed for use
  }
  if (backend === undefined) return;
  for (const [key, value] of Object.entries(section)) {
    const owners = KEY_BACKENDS[key];
    if (value === undefined || owners === undefined || owners.includes(backend)) continue;
    ctx.addIssue({
      code: 'custom',
      path: [key],
      message: `belongs to backend ${owners.join(' or ')}, but this section selects backend ${backend}`,
    });
  }
}

/**
 * The `postgres:` configuration section, also the DI token of database settings. Durations
 * are in seconds. Without `dsn`, `host` or `hosts` the embedded PostgreSQL server is used,
 * its data in `data_dir` (`.data/postgres`; PGlite where no server binaries exist).
 * A key of another backend than the one selected (`min_masters` with a single server) is a
 * ConfigError naming the key and its backend. The section may be left out (all defaults).
 */
export const PostgresConfig = configSection(
  'postgres',
  z
    .strictObject({ ...SHARED, ...SERVER, ...POOL, ...PG, ...HA, ...LOCAL })
    .superRefine(keysOfOtherBackends)
    .transform((section) => section as PostgresSection)
    .default({}),
);
