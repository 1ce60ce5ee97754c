import { parseDsn } from '../config/dsn.js';
import { resolveSettings } from '../config/settings.js';
import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { ConnectionPool, PooledConnection } from './connection-pool.js';
import { Database } from './database.js';
import { HaPool } from './ha/ha-pool.js';
import type { PoolManagerOptions } from './ha/pool-manager.js';
import { PgPool, type PgPoolOptions } from './pg-pool.js';
import { PglitePool } from './pglite-pool.js';
import {
  POSTGRES_DEFAULTS,
  PostgresConfig,
  type PostgresSettings,
  settingsFromPostgresConfig,
} from './postgres-config.js';
import { RequestTransaction } from './request-transaction.js';
import { setDefaultDatabase } from './transactional.js';

/** Options of a {@link PostgresService}: any setting (wins over config), and hooks. */
export interface PostgresServiceOptions extends Partial<PostgresSettings> {
  /** Runs on every new server connection before its first use (type parsers, `search_path`). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
  /** A connection pool of your own; settings then only shape logging. */
  readonly pool?: (settings: PostgresSettings) => Promise<ConnectionPool>;
}

const OPTION_KEYS = new Set([...Object.keys(POSTGRES_DEFAULTS), 'onConnect', 'pool']);

/**
 * The database of an application: owns the pool (or the embedded database) and provides
 * `Database` (APP scope) and `RequestTransaction` (REQUEST scope). Settings: constructor >
 * `PostgresConfig` from DI (`postgres:` in YAML, `LIBRETTO_POSTGRES__*`) > defaults; with
 * neither a DSN nor a host it runs the embedded PGlite, so switching is configuration only.
 * While it runs, `transactional()` uses its database by default; `/ready` checks it.
 *
 * @example
 * new Application(new ConfigService({ sections: [PostgresConfig] }), new PostgresService(), …);
 */
export class PostgresService extends Service {
  readonly #options: PostgresServiceOptions;
  #settings: PostgresSettings | undefined;

  constructor(options: PostgresServiceOptions = {}) {
    super('PostgresService');
    rejectUnknownKeys('PostgresService', options, OPTION_KEYS);
    this.#options = options;
  }

  /** The settings in effect (after start). */
  get settings(): PostgresSettings | undefined {
    return this.#settings;
  }

  override providers(): readonly Provider[] {
    return [
      provide(Database, {
        use: () => this.#open(),
        dispose: (db) => db.pool.close(),
      }),
      provide(RequestTransaction, {
        deps: [Database],
        use: (db) => new RequestTransaction(db),
        lifetime: 'request',
        // A unit of work that ended with its transaction open did not commit it.
        dispose: (tx) => (tx.active ? tx.rollback() : undefined),
      }),
    ];
  }

  override async start(): Promise<void> {
    const db = await this.getDependency(Database);
    const s = this.#settings as PostgresSettings;
    if (db.pool instanceof HaPool) {
      await db.pool.manager.ready(s.minMasters, s.minReplicas, s.acquireTimeout * 1000);
    }
    await db.fetchVal('SELECT 1');
    setDefaultDatabase(db);
    this.logger.info({ backend: db.pool.kind, database: s.database ?? null }, 'database ready');
  }

  override async stop(): Promise<void> {
    setDefaultDatabase(undefined);
  }

  override async checkHealth(): Promise<void> {
    const db = await this.getDependency(Database);
    const s = this.#settings as PostgresSettings;
    // HA: ready while the cluster has the masters and replicas asked for (no waiting).
    if (db.pool instanceof HaPool) await db.pool.manager.ready(s.minMasters, s.minReplicas, 0);
    await db.fetchVal('SELECT 1');
  }

  async #open(): Promise<Database> {
    const provided = await this.getOptionalDependency(PostgresConfig);
    const { onConnect, pool, ...explicit } = this.#options;
    const s = resolveSettings(
      POSTGRES_DEFAULTS,
      provided === undefined ? undefined : settingsFromPostgresConfig(provided),
      explicit,
    );
    this.#settings = s;
    const options = {
      logger: this.logger,
      logStatements: s.logStatements,
      logParameters: s.logParameters,
    };
    if (pool !== undefined) return new Database(await pool(s), options);
    const backend = s.backend ?? defaultBackend(s);
    if (backend === 'ha')
      return new Database(await HaPool.create(haOptions(s, onConnect)), options);
    if (backend === 'pglite') {
      const pglite = await PglitePool.create({
        ...(s.dataDir === undefined ? {} : { dataDir: s.dataDir }),
        acquireTimeoutMs: s.acquireTimeout * 1000,
      });
      return new Database(pglite, options);
    }
    return new Database(await PgPool.create(pgOptions(s, onConnect)), options);
  }
}

function defaultBackend(s: PostgresSettings): 'pg' | 'pglite' | 'ha' {
  if (s.hosts !== undefined) return 'ha';
  if (s.dsn !== undefined) return parseDsn(s.dsn).hosts.length > 1 ? 'ha' : 'pg';
  return s.host === undefined ? 'pglite' : 'pg';
}

/** HA pool manager options from settings: hosts from `hosts` or the DSN, pool settings per host. */
function haOptions(
  s: PostgresSettings,
  onConnect: PostgresServiceOptions['onConnect'],
): PoolManagerOptions {
  const dsn = s.dsn === undefined ? undefined : parseDsn(s.dsn);
  const { host, port, user, password, database, ...pool } = pgOptions(
    { ...s, dsn: undefined, host: undefined },
    onConnect,
  );
  return {
    ...(s.dsn === undefined ? {} : { dsn: s.dsn }),
    ...(s.hosts === undefined ? {} : { hosts: s.hosts }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(database === undefined ? {} : { database }),
    acquireTimeoutMs: s.acquireTimeout * 1000,
    refreshDelayMs: s.refreshDelay * 1000,
    refreshTimeoutMs: s.refreshTimeout * 1000,
    fallbackMaster: s.fallbackMaster,
    masterAsReplicaWeight: s.masterAsReplicaWeight,
    balancer: s.balancerPolicy,
    stopwatchWindowSize: s.stopwatchWindowSize,
    ...(s.maxLagBytes === undefined ? {} : { maxLagBytes: s.maxLagBytes }),
    ...(s.maxLagSeconds === undefined ? {} : { maxLagSeconds: s.maxLagSeconds }),
    pool: { ...pool, ...dsnParameters(dsn?.params ?? {}) },
  };
}

/**
 * The DSN query parameters the `pg` driver honours; any other is refused rather than
 * silently ignored (an ignored `sslmode` would connect without TLS).
 */
function dsnParameters(params: Readonly<Record<string, string>>): Partial<PgPoolOptions> {
  const out: { ssl?: NonNullable<PgPoolOptions['ssl']> | false; applicationName?: string } = {};
  for (const [key, value] of Object.entries(params)) {
    if (key === 'application_name') out.applicationName = value;
    else if (key === 'sslmode') {
      if (value === 'disable') out.ssl = false;
      else if (value === 'require' || value === 'prefer' || value === 'allow')
        out.ssl = { rejectUnauthorized: false };
      else if (value === 'verify-ca' || value === 'verify-full')
        out.ssl = { rejectUnauthorized: true };
      else
        invalidOption(
          'PostgresService',
          'dsn',
          `sslmode=${value} is not one of disable, allow, prefer, require, verify-ca, verify-full`,
        );
    } else {
      invalidOption(
        'PostgresService',
        'dsn',
        `parameter ${key} is not supported (sslmode, application_name)`,
      );
    }
  }
  return out;
}

/** `pg` pool options from settings: the DSN first, then explicit fields over it. */
function pgOptions(
  s: PostgresSettings,
  onConnect: PostgresServiceOptions['onConnect'],
): PgPoolOptions {
  const dsn = s.dsn === undefined ? undefined : parseDsn(s.dsn);
  if (dsn !== undefined && dsn.hosts.length > 1) {
    invalidOption(
      'PostgresService',
      'dsn',
      'has several hosts: use backend ha (or leave backend unset)',
    );
  }
  const extra = dsnParameters(dsn?.params ?? {});
  let host = dsn?.host;
  let port = dsn?.port;
  if (s.host !== undefined) {
    const [h, p] = s.host.split(':');
    host = h;
    port = p === undefined ? undefined : Number(p);
  }
  const user = s.user ?? dsn?.user;
  const password = s.password ?? dsn?.password;
  const database = s.database ?? dsn?.database;
  return {
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(database === undefined ? {} : { database }),
    minSize: s.minSize,
    maxSize: s.maxSize,
    acquireTimeoutMs: s.acquireTimeout * 1000,
    idleTimeoutMs: s.maxInactiveConnectionLifetime * 1000,
    ...(s.maxQueries === undefined ? {} : { maxUses: s.maxQueries }),
    ...(s.maxLifetime === undefined ? {} : { maxLifetimeMs: s.maxLifetime * 1000 }),
    ...(s.statementTimeout === undefined ? {} : { statementTimeoutMs: s.statementTimeout * 1000 }),
    ...extra,
    prePingIdleMs: s.prePing ? 1000 : false,
    prepare: s.prepare,
    ...(onConnect === undefined ? {} : { onConnect }),
  };
}
