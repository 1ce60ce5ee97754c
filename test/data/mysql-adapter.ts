// A minimal DatabaseAdapter over mysql2 for the data suites on MariaDB, until libretto/mysql's
// Database replaces it (behind `openMysql` only): ambient transactions with savepoints, and
// the driver's constraint errors as the DDD errors `Database` maps them to. No streaming.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import {
  AlreadyExistsError,
  type ErrorCode,
  RelatedResourceNotFoundError,
  ValidationError,
} from 'libretto';
import type { DatabaseAdapter } from 'libretto/postgres';
import mysql from 'mysql2/promise';

type Row = Record<string, unknown>;
type Runner = mysql.Pool | mysql.PoolConnection;
interface Ambient {
  readonly connection: mysql.PoolConnection;
  depth: number;
}

const HOST = '127.0.0.1';
const PORT = 3306;

/** The DDD error `Database` gives for a mysql2 error, the driver error as `cause`. */
function mapped(error: unknown): unknown {
  const errno = (error as { errno?: unknown } | null)?.errno;
  const options = (code: ErrorCode) => ({ code, cause: error });
  switch (errno) {
    case 1062:
      return new AlreadyExistsError('duplicate key', options('DB_UNIQUE_VIOLATION'));
    case 1451:
    case 1452:
      return new RelatedResourceNotFoundError('foreign key', options('DB_FOREIGN_KEY_VIOLATION'));
    case 3819:
    case 4025:
      return new ValidationError('check failed', options('DB_CHECK_VIOLATION'));
    case 1048:
    case 1364:
      return new ValidationError('not null', options('DB_NOT_NULL_VIOLATION'));
    default:
      return error;
  }
}

function texts(query: unknown): string {
  if (typeof query !== 'string') throw new Error('the test adapter takes statements as text');
  return query;
}

class MysqlTestDatabase implements DatabaseAdapter {
  /** What `libretto/data` picks the MySQL dialect by. */
  readonly engine = { name: 'mysql' } as const;
  readonly #pool: mysql.Pool;
  readonly #ambient = new AsyncLocalStorage<Ambient>();

  constructor(pool: mysql.Pool) {
    this.#pool = pool;
  }

  async #run(query: unknown, values: readonly unknown[] = []): Promise<unknown> {
    const runner: Runner = this.#ambient.getStore()?.connection ?? this.#pool;
    try {
      const [result] = await runner.execute(texts(query), values as never);
      return result;
    } catch (error) {
      throw mapped(error);
    }
  }

  async fetch<R = Row>(query: unknown, values?: readonly unknown[]): Promise<R[]> {
    const result = await this.#run(query, values);
    return Array.isArray(result) ? (result as R[]) : [];
  }

  async fetchOne<R = Row>(query: unknown, values?: readonly unknown[]): Promise<R | undefined> {
    return (await this.fetch<R>(query, values))[0];
  }

  async fetchVal<V = unknown>(query: unknown, values?: readonly unknown[]): Promise<V | undefined> {
    const row = await this.fetchOne<Row>(query, values);
    return row === undefined ? undefined : (Object.values(row)[0] as V);
  }

  async execute(query: unknown, values?: readonly unknown[]): Promise<number> {
    const result = await this.#run(query, values);
    return Array.isArray(result) ? result.length : (result as mysql.ResultSetHeader).affectedRows;
  }

  executeMany(query: string, rows: readonly (readonly unknown[])[]): Promise<number> {
    return this.transaction(async () => {
      let count = 0;
      for (const values of rows) count += await this.execute(query, values);
      return count;
    });
  }

  stream<R = Row>(): AsyncIterable<R> {
    throw new Error('the test adapter does not stream');
  }

  async transaction<T>(fn: (tx: DatabaseAdapter) => Promise<T>): Promise<T> {
    const ambient = this.#ambient.getStore();
    if (ambient !== undefined) {
      const savepoint = `sp_${++ambient.depth}`;
      await ambient.connection.query(`SAVEPOINT ${savepoint}`);
      try {
        const result = await fn(this);
        await ambient.connection.query(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await ambient.connection.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      } finally {
        ambient.depth--;
      }
    }
    const connection = await this.#pool.getConnection();
    try {
      await connection.query('START TRANSACTION');
      const result = await this.#ambient.run({ connection, depth: 0 }, () => fn(this));
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK');
      throw error;
    } finally {
      connection.release();
    }
  }
}

function reachable(): Promise<boolean> {
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
    s.connect(PORT, HOST);
  });
}

/** Whether the MariaDB on :3306 is there; absent, a loud skip (a failure under CI=true). */
export async function mysqlAvailable(): Promise<boolean> {
  if (await reachable()) return true;
  if (process.env.CI === 'true') {
    throw new Error(`MariaDB on ${HOST}:${PORT} is not reachable (required under CI=true)`);
  }
  console.warn(`\n*** SKIPPED: MariaDB on ${HOST}:${PORT} is not reachable ***\n`);
  return false;
}

/** A database of its own on the MariaDB at :3306, dropped on close. */
export async function openMysql(): Promise<{ db: DatabaseAdapter; close(): Promise<void> }> {
  const database = `lt_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection({ host: HOST, port: PORT, user: 'root' });
  await admin.query(`CREATE DATABASE ${database}`);
  // UTC both ways: DATETIME holds no zone, and the driver reads and writes it in this one.
  const pool = mysql.createPool({
    host: HOST,
    port: PORT,
    user: 'root',
    database,
    timezone: 'Z',
    connectionLimit: 5,
  });
  return {
    db: new MysqlTestDatabase(pool),
    async close() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    },
  };
}
