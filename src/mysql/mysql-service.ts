import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { PooledConnection } from '../postgres/connection-pool.js';
import { Database } from '../postgres/database.js';
import { RequestTransaction } from '../postgres/request-transaction.js';
import { setDefaultDatabase } from '../postgres/transactional.js';
import { MysqlConfig } from './mysql-config.js';
import { MysqlPool } from './mysql-pool.js';
import {
  MYSQL_SETTING_KEYS,
  type MysqlSettings,
  resolveMysqlSettings,
  settingsFromSection,
} from './mysql-settings.js';

/**
 * Options of a {@link MysqlService}: any setting (over the `mysql:` section), the environment
 * the seed's variables are read from, and a hook run on every new connection.
 */
export type MysqlServiceOptions = {
  readonly [K in keyof MysqlSettings]?: MysqlSettings[K] | undefined;
} & {
  /** Where `MYSQL_HOST`, `MYSQL_PORT`, … are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Runs on every new connection before its first use (session variables). */
  readonly onConnect?: (connection: PooledConnection) => Promise<void> | void;
};

const OPTION_KEYS = new Set([...MYSQL_SETTING_KEYS, 'env', 'onConnect']);

/**
 * The database of an application on MySQL or MariaDB: provides the same `Database` (APP
 * scope) and `RequestTransaction` (REQUEST scope) as `PostgresService`, so repositories,
 * `transactional()` and handlers do not change — switching engines is registering this
 * service instead. Settings: constructor > `MysqlConfig` from DI (`mysql:` in YAML,
 * `LIBRETTO_MYSQL__*`) > the DSN's parts > the seed's `MYSQL_*` variables > defaults.
 * While it runs, `transactional()` uses its database by default; `/ready` checks it.
 *
 * @example
 * new Application(new ConfigService({ sections: [MysqlConfig] }), new MysqlService(), …);
 */
export class MysqlService extends Service {
  readonly #options: MysqlServiceOptions;
  #settings: MysqlSettings | undefined;

  constructor(options: MysqlServiceOptions = {}) {
    super('MysqlService');
    rejectUnknownKeys('MysqlService', options, OPTION_KEYS);
    if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
      invalidOption('MysqlService', 'env', 'must be an object of variables');
    }
    this.#options = options;
  }

  /** The settings in effect (after start). */
  get settings(): MysqlSettings | undefined {
    return this.#settings;
  }

  override providers(): readonly Provider[] {
    return [
      provide(Database, { use: () => this.#open(), dispose: (db) => db.close() }),
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
    await db.fetchVal('SELECT 1');
    setDefaultDatabase(db);
    const s = this.#settings as MysqlSettings;
    this.logger.info(
      { backend: 'mysql', server: `${s.host}:${s.port}`, database: s.database ?? null },
      'database ready',
    );
  }

  override async stop(): Promise<void> {
    setDefaultDatabase(undefined);
  }

  override async checkHealth(): Promise<void> {
    const db = await this.getDependency(Database);
    await db.fetchVal('SELECT 1');
  }

  async #open(): Promise<Database> {
    const section = await this.getOptionalDependency(MysqlConfig);
    const { env = process.env, onConnect, ...explicit } = this.#options;
    const s = resolveMysqlSettings(
      section === undefined ? {} : settingsFromSection(section),
      explicit,
      env,
    );
    this.#settings = s;
    const pool = await MysqlPool.create({
      host: s.host,
      port: s.port,
      user: s.user,
      ...(s.password === undefined ? {} : { password: s.password }),
      ...(s.database === undefined ? {} : { database: s.database }),
      minSize: s.minSize,
      maxSize: s.maxSize,
      acquireTimeoutMs: s.acquireTimeout * 1000,
      idleTimeoutMs: s.maxInactiveConnectionLifetime * 1000,
      ...(s.maxQueries === undefined ? {} : { maxUses: s.maxQueries }),
      ...(s.maxLifetime === undefined ? {} : { maxLifetimeMs: s.maxLifetime * 1000 }),
      ...(s.statementTimeout === undefined
        ? {}
        : { statementTimeoutMs: s.statementTimeout * 1000 }),
      ...(s.queryTimeout === undefined ? {} : { queryTimeoutMs: s.queryTimeout * 1000 }),
      ...(s.prePing ? {} : { prePingIdleMs: false }),
      prepare: s.prepare,
      ...(onConnect === undefined ? {} : { onConnect }),
      onIdleError: (error, host) =>
        this.logger.warn(
          { host, code: (error as { code?: unknown }).code ?? null, reason: error.message },
          'idle database connection failed; the pool dropped it',
        ),
    });
    return new Database(pool, {
      logger: this.logger,
      logStatements: s.logStatements,
      logParameters: s.logParameters,
      ...(s.isolationLevel === undefined ? {} : { isolation: s.isolationLevel }),
    });
  }
}
