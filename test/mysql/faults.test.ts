// Faults on MySQL/MariaDB: a connection cut mid-query, an exhausted pool, a stalled host,
// deadlocks under contention.
import { ConflictError, DeadlineExceededError, DependencyUnavailableError } from 'libretto';
import { MysqlPool } from 'libretto/mysql';
import { Database, sql, transactional } from 'libretto/postgres';
import { TcpProxy } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../failure.js';
import {
  createMysqlDatabase,
  MYSQL_HOST,
  MYSQL_PORT,
  mysqlAvailable,
  type TestMysqlDatabase,
} from './server.js';

const available = await mysqlAvailable();

describe.runIf(available)('MySQL faults', () => {
  let database: TestMysqlDatabase;
  beforeAll(async () => {
    database = await createMysqlDatabase();
  });
  afterAll(() => database?.drop());

  const open = async (options: Parameters<typeof MysqlPool.create>[0] = {}) => {
    const pool = await MysqlPool.create({ connectionString: database.dsn, ...options });
    return { db: new Database(pool), pool };
  };

  it('a connection cut mid-query is a DependencyUnavailableError naming the server; the pool recovers', async () => {
    const proxy = await TcpProxy.start(MYSQL_HOST, MYSQL_PORT);
    const db = new Database(
      await MysqlPool.create({
        host: MYSQL_HOST,
        port: proxy.port,
        user: 'root',
        database: database.name,
        maxSize: 2,
      }),
    );
    expect(await db.fetchVal('SELECT 1')).toBe(1);
    const running = db.fetchVal('SELECT SLEEP(5)');
    await new Promise((r) => setTimeout(r, 200));
    proxy.set('cut');
    const error = await failure(running);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'DB_UNAVAILABLE' });
    expect(error.message).toContain(`database "${database.name}" at ${MYSQL_HOST}:${proxy.port}`);
    expect(error.cause).toBeDefined();
    // While cut, new connections fail typed too.
    const refused = await failure(db.fetchVal('SELECT 1'));
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    proxy.set('pass');
    expect(await db.fetchVal('SELECT 2')).toBe(2);
    // A transaction cut mid-way fails typed, and the next one works.
    const tx = db.transaction(async (t) => {
      await t.fetchVal('SELECT 1');
      proxy.set('cut');
      await t.fetchVal('SELECT SLEEP(1)');
    });
    expect(await failure(tx)).toBeInstanceOf(DependencyUnavailableError);
    proxy.set('pass');
    expect(await db.transaction((t) => t.fetchVal('SELECT 3'))).toBe(3);
    await db.close();
    await proxy.close();
  });

  it('an exhausted pool fails fast with DependencyUnavailableError, and serves again after', async () => {
    const { db } = await open({ maxSize: 1, acquireTimeoutMs: 150 });
    let release!: () => void;
    const held = db.transaction(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await new Promise((r) => setTimeout(r, 50));
    const error = await failure(db.fetchVal('SELECT 1'));
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'POOL_EXHAUSTED' });
    expect(error.message).toMatch(/No database connection free within 150 ms \(pool of 1 to /);
    release();
    await held;
    expect(await db.fetchVal('SELECT 1')).toBe(1);
    await db.close();
  });

  it('a host that stops answering hits the client-side query timeout; that connection is not reused', async () => {
    const proxy = await TcpProxy.start(MYSQL_HOST, MYSQL_PORT);
    const pool = await MysqlPool.create({
      host: MYSQL_HOST,
      port: proxy.port,
      user: 'root',
      database: database.name,
      maxSize: 1,
      queryTimeoutMs: 200,
    });
    const db = new Database(pool);
    expect(await db.fetchVal('SELECT 1')).toBe(1);
    proxy.set('stall');
    const error = await failure(db.fetchVal('SELECT 1'));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ code: 'DB_QUERY_TIMEOUT' });
    proxy.set('pass');
    expect(await db.fetchVal('SELECT 4')).toBe(4);
    await db.close();
    await proxy.close();
  });

  it('keeps the total: 20 workers transferring between 10 accounts, deadlocks retried', async () => {
    const { db } = await open({ maxSize: 10 });
    await db.execute('CREATE TABLE account (id int PRIMARY KEY, balance int NOT NULL)');
    await db.execute(
      `INSERT INTO account VALUES ${Array.from({ length: 10 }, (_, i) => `(${i + 1}, 100)`).join(', ')}`,
    );
    let attempts = 0;
    let transfers = 0;
    let deadlocks = 0;
    const worker = async (seed: number) => {
      for (let i = 0; i < 8; i++) {
        const from = ((seed * 7 + i * 3) % 10) + 1;
        const to = ((seed * 3 + i * 5 + 1) % 10) + 1;
        if (from === to) continue;
        await transactional(
          async () => {
            attempts++;
            // Shared locks first, then exclusive ones, in any order: InnoDB deadlocks.
            const balance = Number(
              await db.fetchVal(
                sql`SELECT balance FROM account WHERE id = ${from} LOCK IN SHARE MODE`,
              ),
            );
            await db.fetchVal(sql`SELECT balance FROM account WHERE id = ${to} LOCK IN SHARE MODE`);
            const amount = Math.min(balance, 7);
            await db.execute(
              sql`UPDATE account SET balance = balance - ${amount} WHERE id = ${from}`,
            );
            await db.execute(
              sql`UPDATE account SET balance = balance + ${amount} WHERE id = ${to}`,
            );
          },
          { database: db, retries: 100 },
        ).catch((error: unknown) => {
          if (error instanceof ConflictError) deadlocks++;
          throw error;
        });
        transfers++;
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, seed) => worker(seed)));
    expect(Number(await db.fetchVal('SELECT sum(balance) FROM account'))).toBe(1000);
    expect(Number(await db.fetchVal('SELECT min(balance) FROM account'))).toBeGreaterThanOrEqual(0);
    expect(deadlocks).toBe(0);
    expect(attempts).toBeGreaterThanOrEqual(transfers);
    console.log(`MariaDB: ${transfers} transfers in ${attempts} attempts`);
    await db.close();
  });
});
