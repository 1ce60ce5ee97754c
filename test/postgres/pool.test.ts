import { Database, PgPool, type PgPoolOptions } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const open = async (options: PgPoolOptions) => {
  const driver = await PgPool.create({ connectionString: server.dsn, ...options });
  return { driver, db: new Database(driver) };
};
const pid = (db: Database) => db.fetchVal<number>('SELECT pg_backend_pid()', []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pool settings (PG-6)', () => {
  it('never opens more than maxSize connections', async () => {
    const { driver, db } = await open({ maxSize: 2 });
    let peak = 0;
    const watch = setInterval(() => {
      peak = Math.max(peak, driver.stats.total);
    }, 5);
    await Promise.all(Array.from({ length: 6 }, () => db.fetch('SELECT pg_sleep(0.05)')));
    clearInterval(watch);
    expect(peak).toBe(2);
    await driver.close();
  });

  it('closes idle connections after the idle lifetime', async () => {
    const { driver, db } = await open({ maxSize: 3, idleTimeoutMs: 100 });
    await Promise.all([db.fetchVal('SELECT 1'), db.fetchVal('SELECT 2')]);
    expect(driver.stats.total).toBeGreaterThan(0);
    await sleep(400);
    expect(driver.stats.total).toBe(0);
    await driver.close();
  });

  it('replaces a connection after maxUses and after maxLifetime', async () => {
    const uses = await open({ maxSize: 1, maxUses: 2 });
    const a = await pid(uses.db);
    expect(await pid(uses.db)).toBe(a);
    expect(await pid(uses.db)).not.toBe(a);
    await uses.driver.close();

    const age = await open({ maxSize: 1, maxLifetimeMs: 1000 });
    const b = await pid(age.db);
    await sleep(1300);
    expect(await pid(age.db)).not.toBe(b);
    await age.driver.close();
  });

  it('runs the init hook once per new connection, before its first use', async () => {
    const setup = await open({ maxSize: 1 });
    await setup.db.execute(
      'CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.thing (v int)',
    );
    await setup.driver.close();
    let runs = 0;
    const { driver, db } = await open({
      maxSize: 1,
      maxUses: 3,
      onConnect: async (connection) => {
        runs++;
        await connection.query('SET search_path TO app, public', []);
      },
    });
    for (let i = 0; i < 5; i++)
      expect(await db.fetchVal('SELECT count(*)::int FROM thing')).toBe(0);
    expect(runs).toBe(2); // 5 uses at 3 per connection: two connections
    await driver.close();
  });

  it('pre-ping replaces a pooled connection the server closed', async () => {
    const { driver, db } = await open({ maxSize: 1, prePingIdleMs: 0 });
    const first = await pid(db);
    const admin = await open({ maxSize: 1 });
    await admin.db.fetch('SELECT pg_terminate_backend($1)', [first]);
    await admin.driver.close();
    await sleep(50);
    const second = await pid(db);
    expect(second).not.toBe(first);
    await driver.close();
  });
});
