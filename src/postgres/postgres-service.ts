import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { UsageError } from '../errors/usage-error.js';
import { BackendEventLog } from './backend-event-log.js';
import { pgBackend, pgliteBackend } from './builtin-backends.js';
import type { ConnectionPool, PooledConnection } from './connection-pool.js';
import { Database } from './database.js';
import { embeddedBackend } from './embedded-backend.js';
import type { PostgresBackend } from './postgres-backend.js';
import { PostgresConfig } from './postgres-config.js';
import {
  checkBackendKeys,
  type EmbeddedSettings,
  type HaSettings,
  type PgliteSettings,
  type PgSettings,
  type PostgresSettings,
  resolvePostgresSettings,
  SETTING_KEYS,
  settingsFromSection,
} from './postgres-settings.js';
import { RequestTransaction } from './request-transaction.js';
import { setDefaultDatabase } from './transactional.js';

type Optional<T> = { readonly [K in keyof T]?: T[K] | undefined };
type Refused<K extends PropertyKey> = { readonly [P in K]?: undefined };
type AnyKey = keyof PgSettings | keyof HaSettings | keyof PgliteSettings | keyof EmbeddedSettings;
/** The settings of one backend; a key of another one fails to compile. */
type Only<S extends { backend: string }> = Optional<Omit<S, 'backend'>> &
  Refused<Exclude<AnyKey, keyof S>>;

/** Settings of the embedded server; `backend` may be left out (nothing names a server). */
export type EmbeddedServiceSettings = Only<EmbeddedSettings> & { readonly backend?: 'embedded' };
/** Settings of a single server; `backend` may be left out (a DSN or `host` selects `pg`). */
export type PgServiceSettings = Only<PgSettings> & { readonly backend?: 'pg' };
/** Settings of the in-process PGlite. */
export type PgliteServiceSettings = Only<PgliteSettings> & { readonly backend: 'pglite' };
/** Settings of an HA cluster (needs `backends: [haBackend]`). */
export type HaServiceSettings = Only<HaSettings> & { readonly backend: 'ha' };

/** Hooks and backends of a {@link PostgresService}, beside its settings. */
export interface PostgresServiceHooks {
  /** Runs on every new server connection before its first use (type parsers, `search_path`). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
  /** A connection pool of your own; settings then only shape logging. */
  readonly pool?: (settings: PostgresSettings) => Promise<ConnectionPool>;
  /** Backends beyond the built-in `embedded`, `pg` and `pglite`, e.g. `haBackend` from `libretto/postgres/ha`. */
  readonly backends?: readonly PostgresBackend[];
}

/**
 * Options of a {@link PostgresService}: settings (over the `postgres:` section) shaped by the
 * backend they select — a key of another backend fails to compile — plus hooks.
 */
export type PostgresServiceOptions = PostgresServiceHooks &
  (EmbeddedServiceSettings | PgServiceSettings | PgliteServiceSettings | HaServiceSettings);

const HOOK_KEYS = ['onConnect', 'pool', 'backends'];
const OPTION_KEYS = new Set([...SETTING_KEYS, ...HOOK_KEYS]);
const BUILT_IN: readonly PostgresBackend[] = [embeddedBackend, pgBackend, pgliteBackend];

/**
 * The database of an application: owns the pool (or the embedded database) and provides
 * `Database` (APP scope) and `RequestTransaction` (REQUEST scope). Settings: constructor >
 * `PostgresConfig` from DI (`postgres:` in YAML, `LIBRETTO_POSTGRES__*`) > defaults; with
 * neither a DSN nor a host it starts the embedded PostgreSQL server (data in `.data/postgres`,
 * stopped with the service), so switching is configuration only.
 * While it runs, `transactional()` uses its database by default; `/ready` checks it. Errors
 * of idle connections, and what the backend reports (HA: role changes, failovers, fencing,
 * split brains), are logged as warnings with the hosts.
 *
 * @example
 * new Application(new ConfigService({ sections: [PostgresConfig] }), new PostgresService(), …);
 * // An HA cluster: new PostgresService({ backends: [haBackend] }) (from 'libretto/postgres/ha').
 */
export class PostgresService extends Service {
  readonly #options: PostgresServiceOptions;
  readonly #backends = new Map<string, PostgresBackend>();
  #settings: PostgresSettings | undefined;
  #backend: PostgresBackend | undefined;

  constructor(options: PostgresServiceOptions = {}) {
    super('PostgresService');
    rejectUnknownKeys('PostgresService', options, OPTION_KEYS);
    checkBackendKeys('PostgresService', settingsOf(options));
    for (const backend of [...BUILT_IN, ...(options.backends ?? [])]) {
      if (typeof backend?.open !== 'function' || typeof backend.name !== 'string') {
        invalidOption('PostgresService', 'backends', 'must hold PostgresBackend objects');
      }
      this.#backends.set(backend.name, backend);
    }
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
        dispose: (db) => db.close(),
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
    // The backend was chosen by `s.backend`, so these are its settings.
    await this.#backend?.ready?.(db.pool, s as never, s.acquireTimeout * 1000);
    await db.fetchVal('SELECT 1');
    setDefaultDatabase(db);
    const database = s.backend === 'pg' || s.backend === 'ha' ? (s.database ?? null) : null;
    this.logger.info({ backend: db.pool.kind, database }, 'database ready');
  }

  override async stop(): Promise<void> {
    setDefaultDatabase(undefined);
  }

  override async checkHealth(): Promise<void> {
    const db = await this.getDependency(Database);
    // HA: ready while the cluster has the masters and replicas asked for (no waiting).
    await this.#backend?.ready?.(db.pool, this.#settings as never, 0);
    await db.fetchVal('SELECT 1');
  }

  async #open(): Promise<Database> {
    const section = await this.getOptionalDependency(PostgresConfig);
    const { onConnect, pool } = this.#options;
    const s = resolvePostgresSettings(
      section === undefined ? {} : settingsFromSection(section),
      settingsOf(this.#options),
    );
    this.#settings = s;
    const options = {
      logger: this.logger,
      logStatements: s.logStatements,
      logParameters: s.logParameters,
      ...(s.isolationLevel === undefined ? {} : { isolation: s.isolationLevel }),
    };
    if (pool !== undefined) return new Database(await pool(s), options);
    const backend = this.#backends.get(s.backend);
    if (backend === undefined) {
      throw new UsageError(
        `The postgres settings select backend ${s.backend} (backend: ${s.backend}, hosts, or a DSN with several hosts), which is not registered: pass it to the service, new PostgresService({ backends: [haBackend] }) with haBackend from 'libretto/postgres/ha'`,
        { code: 'BACKEND_NOT_REGISTERED', details: [{ backend: s.backend }] },
      );
    }
    this.#backend = backend;
    const context = {
      onConnect,
      logger: this.logger,
      onEvent: new BackendEventLog(this.logger).log,
      onIdleError: (error: Error, host: string) =>
        this.logger.warn(
          { host, code: (error as { code?: unknown }).code ?? null, reason: error.message },
          'idle database connection failed; the pool dropped it',
        ),
    };
    // Chosen by `s.backend`: `s` is the settings of that backend.
    return new Database(await backend.open(s as never, context), options);
  }
}

/** The settings among the options (hooks left out). */
function settingsOf(options: PostgresServiceOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options))
    if (!HOOK_KEYS.includes(key)) out[key] = value;
  return out;
}
