// The MariaDB (or MySQL) server the libretto/mysql tests run on: 127.0.0.1:3306, root without
// a password. Each test file works in a database of its own (`lt_<random>`), created and
// dropped through a root connection. Absent, the tests are skipped loudly — a failure under
// CI=true.
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { MysqlPool, type MysqlPoolOptions } from 'libretto/mysql';
import { Database, type DatabaseOptions } from 'libretto/postgres';
import mysql from 'mysql2/promise';

export const MYSQL_HOST = '127.0.0.1';
export const MYSQL_PORT = 3306;

/** Whether the server answers on :3306; under CI=true its absence throws. */
export async function mysqlAvailable(): Promise<boolean> {
  const up = await new Promise<boolean>((resolve) => {
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
    s.connect(MYSQL_PORT, MYSQL_HOST);
  });
  if (up) return true;
  if (process.env.CI === 'true') {
    throw new Error('MariaDB/MySQL on 127.0.0.1:3306 is not reachable (required under CI=true)');
  }
  console.warn('\n*** SKIPPED: MariaDB/MySQL on 127.0.0.1:3306 is not reachable ***\n');
  return false;
}

/** Runs statements as root on the server (no database selected). */
export async function mysqlAdmin(...statements: string[]): Promise<void> {
  const c = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root' });
  try {
    for (const text of statements) await c.query(text);
  } finally {
    await c.end();
  }
}

/** A fresh database of its own. */
export interface TestMysqlDatabase {
  readonly name: string;
  readonly dsn: string;
  drop(): Promise<void>;
}

export async function createMysqlDatabase(): Promise<TestMysqlDatabase> {
  const name = `lt_${randomBytes(5).toString('hex')}`;
  await mysqlAdmin(`CREATE DATABASE ${name}`);
  return {
    name,
    dsn: `mysql://root@${MYSQL_HOST}:${MYSQL_PORT}/${name}`,
    drop: () => mysqlAdmin(`DROP DATABASE IF EXISTS ${name}`),
  };
}

/** A `Database` on a fresh database; `close` closes the pool and drops the database. */
export async function openMysql(
  options: { driver?: MysqlPoolOptions; database?: DatabaseOptions } = {},
): Promise<{ db: Database; pool: MysqlPool; dsn: string; close(): Promise<void> }> {
  const created = await createMysqlDatabase();
  const pool = await MysqlPool.create({ connectionString: created.dsn, ...options.driver });
  return {
    db: new Database(pool, options.database),
    pool,
    dsn: created.dsn,
    close: async () => {
      await pool.close();
      await created.drop();
    },
  };
}
