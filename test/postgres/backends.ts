// The backends every adapter test runs against: a libretto/testing server, the machine's
// PostgreSQL on :5432 (skipped loudly when absent, a failure under CI=true), PGlite, and the
// HA pool over the libretto/testing server (a cluster of one master) — and, for the suites
// written engine-neutral (`backends({ mysql: true })`), the MariaDB on :3306.

import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import {
  type ConnectionPool,
  Database,
  type DatabaseOptions,
  PglitePool,
  PgPool,
  type PgPoolOptions,
} from 'libretto/postgres';
import { HaPool } from 'libretto/postgres/ha';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import pg from 'pg';
import { mysqlAvailable, openMysql } from '../mysql/server.js';
import { emptyPglite } from './empty-pglite.js';

export interface Backend {
  readonly name: string;
  /** The SQL engine: a suite's PostgreSQL-only cases check it. */
  readonly engine: 'postgres' | 'mysql';
  /** A fresh, empty database on this backend. */
  open(options?: { driver?: PgPoolOptions; database?: DatabaseOptions }): Promise<Opened>;
  close(): Promise<void>;
}

export interface Opened {
  readonly db: Database;
  readonly dsn: string | undefined;
  close(): Promise<void>;
}

const LOCAL = 'postgresql://postgres@127.0.0.1:5432/postgres';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(port, '127.0.0.1');
  });
}

/** Runs one statement on `dsn` over a connection of its own (CREATE / DROP DATABASE). */
export async function admin(dsn: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: dsn });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Opens a pool on the database of `dsn`. */
type PoolOpener = (dsn: string, options: PgPoolOptions | undefined) => Promise<ConnectionPool>;

const pgPool: PoolOpener = (dsn, options) => PgPool.create({ connectionString: dsn, ...options });

/** The HA pool over one server: a cluster of one master (per-host pool options as given). */
const haPool: PoolOpener = async (dsn, options) => {
  const pool = await HaPool.create({ dsn, ...(options === undefined ? {} : { pool: options }) });
  await pool.manager.ready(1, 0);
  return pool;
};

/** A backend on a server: each `open` creates a database and drops it on close. */
function serverBackend(
  name: string,
  adminDsn: () => string,
  stop: () => Promise<void>,
  openPool: PoolOpener = pgPool,
): Backend {
  return {
    name,
    engine: 'postgres',
    async open(options = {}) {
      const database = `lt_${randomBytes(5).toString('hex')}`;
      await admin(adminDsn(), `CREATE DATABASE ${database}`);
      const dsn = adminDsn().replace(/\/postgres$/, `/${database}`);
      const driver = await openPool(dsn, options.driver);
      return {
        db: new Database(driver, options.database),
        dsn,
        close: async () => {
          await driver.close();
          await admin(adminDsn(), `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        },
      };
    },
    close: stop,
  };
}

/**
 * The backends available here; the :5432 one only when reachable (or under CI). With
 * `mysql`, also the MariaDB on :3306 (same rule).
 */
export async function backends(options: { mysql?: boolean } = {}): Promise<Backend[]> {
  let server: TestPostgres | undefined;
  const list: Backend[] = [
    serverBackend(
      'libretto/testing server',
      () => (server as TestPostgres).dsn,
      async () => server?.stop(),
    ),
  ];
  server = await startPostgres();
  if (await reachable(5432)) {
    list.push(
      serverBackend(
        'PostgreSQL on :5432',
        () => LOCAL,
        async () => {},
      ),
    );
  } else if (process.env.CI === 'true') {
    throw new Error('PostgreSQL on 127.0.0.1:5432 is not reachable (required under CI=true)');
  } else {
    console.warn('\n*** SKIPPED: PostgreSQL on 127.0.0.1:5432 is not reachable ***\n');
  }
  list.push({
    name: 'PGlite',
    engine: 'postgres',
    async open(options = {}) {
      const driver = await PglitePool.create({ loadDataDir: await emptyPglite() });
      return {
        db: new Database(driver, options.database),
        dsn: undefined,
        close: () => driver.close(),
      };
    },
    close: async () => {},
  });
  list.push(
    serverBackend(
      'HA pool (one master)',
      () => (server as TestPostgres).dsn,
      async () => {},
      haPool,
    ),
  );
  if (options.mysql === true && (await mysqlAvailable())) {
    list.push({
      name: 'MariaDB on :3306',
      engine: 'mysql',
      async open(options = {}) {
        const { acquireTimeoutMs, maxSize } = options.driver ?? {};
        const opened = await openMysql({
          driver: {
            ...(acquireTimeoutMs === undefined ? {} : { acquireTimeoutMs }),
            ...(maxSize === undefined ? {} : { maxSize }),
          },
          ...(options.database === undefined ? {} : { database: options.database }),
        });
        return { db: opened.db, dsn: opened.dsn, close: opened.close };
      },
      close: async () => {},
    });
  }
  return list;
}
