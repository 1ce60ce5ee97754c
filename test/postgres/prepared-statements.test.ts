import { Database, PgPool } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

/** Prepared statements of the connection the (single-connection) pool hands out. */
const prepared = (db: Database) =>
  db.fetch<{ name: string; statement: string }>(
    'SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time',
    [],
  );

describe('automatic prepared statements (X-4)', () => {
  it('prepares repeated statements with values under generated names, per connection', async () => {
    const driver = await PgPool.create({ connectionString: server.dsn, maxSize: 1 });
    const db = new Database(driver);
    for (let i = 0; i < 3; i++) expect(await db.fetchVal('SELECT $1::int + 1', [i])).toBe(i + 1);
    const names = await db.transaction(() =>
      db.fetch<{ name: string; statement: string }>(
        'SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE $1',
        ['SELECT $1::int + 1'],
      ),
    );
    expect(names).toHaveLength(1);
    expect(names[0]?.name).toMatch(/^lb[0-9a-z]+$/);
    await driver.close();
  });

  it('keeps at most the configured number, deallocating the least recently used', async () => {
    const driver = await PgPool.create({
      connectionString: server.dsn,
      maxSize: 1,
      preparedCacheSize: 3,
    });
    const db = new Database(driver);
    for (let i = 0; i < 6; i++) await db.fetchVal(`SELECT $1::int * ${i}`, [1]);
    const left = (await prepared(db)).map((p) => p.statement);
    // The listing query itself is prepared too, so the three newest remain.
    expect(left).toHaveLength(3);
    expect(left).toContain('SELECT $1::int * 5');
    expect(left).not.toContain('SELECT $1::int * 0');
    await driver.close();
  });

  it('stays within its bound when statements share one connection concurrently', async () => {
    const driver = await PgPool.create({
      connectionString: server.dsn,
      maxSize: 1,
      preparedCacheSize: 2,
    });
    const db = new Database(driver);
    const sums = await db.transaction(() =>
      Promise.all(
        Array.from({ length: 12 }, (_, i) => db.fetchVal<number>(`SELECT $1::int + ${i % 6}`, [i])),
      ),
    );
    expect(sums).toEqual(Array.from({ length: 12 }, (_, i) => i + (i % 6)));
    const left = await prepared(db);
    expect(left.length).toBeLessThanOrEqual(2);
    await driver.close();
  });

  it('survives a schema change that invalidates a cached plan', async () => {
    const driver = await PgPool.create({ connectionString: server.dsn, maxSize: 1 });
    const db = new Database(driver);
    await db.execute('CREATE TABLE plan_t (id int, a text)');
    await db.execute("INSERT INTO plan_t VALUES (1, 'x')");
    expect(await db.fetch('SELECT * FROM plan_t WHERE id = $1', [1])).toEqual([{ id: 1, a: 'x' }]);
    await db.execute('ALTER TABLE plan_t ADD COLUMN b int DEFAULT 5');
    expect(await db.fetch('SELECT * FROM plan_t WHERE id = $1', [1])).toEqual([
      { id: 1, a: 'x', b: 5 },
    ]);
    await driver.close();
  });

  it('prepare: false (PgBouncer in transaction mode) names nothing', async () => {
    const driver = await PgPool.create({
      connectionString: server.dsn,
      maxSize: 1,
      prepare: false,
    });
    const db = new Database(driver);
    for (let i = 0; i < 3; i++) await db.fetchVal('SELECT $1::int', [i]);
    expect(await prepared(db)).toEqual([]);
    await driver.close();
  });
});
