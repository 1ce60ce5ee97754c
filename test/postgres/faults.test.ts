import { DeadlineExceededError, DependencyUnavailableError } from 'libretto';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres, TcpProxy, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const open = async (options: Parameters<typeof PgPool.create>[0] = {}) => {
  const driver = await PgPool.create({ connectionString: server.dsn, ...options });
  return { db: new Database(driver), driver };
};

describe('faults', () => {
  it('an exhausted pool fails fast with DependencyUnavailableError, and serves again after', async () => {
    const { db, driver } = await open({ maxSize: 1, acquireTimeoutMs: 150 });
    let release!: () => void;
    const held = db.transaction(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await new Promise((r) => setTimeout(r, 50));
    const error = await db.fetchVal('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toMatch(
      /No database connection free within 150 ms \(pool of 1\)/,
    );
    expect(error).toMatchObject({ code: 'POOL_EXHAUSTED' });
    release();
    await held;
    expect(await db.fetchVal('SELECT 1')).toBe(1);
    await driver.close();
  });

  it('a statement timeout is a DeadlineExceededError', async () => {
    const { db, driver } = await open({ statementTimeoutMs: 100 });
    await expect(db.fetch('SELECT pg_sleep(2)')).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(db.fetch('SELECT pg_sleep(2)')).rejects.toMatchObject({
      code: 'DB_STATEMENT_TIMEOUT',
    });
    expect(await db.fetchVal('SELECT 2')).toBe(2);
    await driver.close();
  });

  it('a host that stops answering hits the client-side query timeout; that connection is not reused', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', server.port);
    const driver = await PgPool.create({
      host: '127.0.0.1',
      port: proxy.port,
      user: 'postgres',
      database: 'postgres',
      maxSize: 1,
      queryTimeoutMs: 200,
    });
    const db = new Database(driver);
    try {
      expect(await db.fetchVal('SELECT 1')).toBe(1);
      proxy.set('stall');
      const error = await db.fetchVal('SELECT 2').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect(error).toMatchObject({ code: 'DB_QUERY_TIMEOUT' });
      expect(driver.stats.total).toBe(0); // closed, not back in the pool
      proxy.set('pass');
      expect(await db.fetchVal('SELECT 3')).toBe(3);
    } finally {
      await driver.close();
      await proxy.close();
    }
  });

  it('a server killed mid-query gives DependencyUnavailableError; the pool recovers when it returns', async () => {
    const { db, driver } = await open({ maxSize: 4 });
    await db.fetchVal('SELECT 1'); // a pooled connection that will go stale
    const running = db.fetch('SELECT pg_sleep(5)').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 150));
    await server.node.kill();
    // Known lost from the client's own events or the server's SQLSTATE, not from message text.
    expect(await running).toBeInstanceOf(DependencyUnavailableError);
    expect(await running).toMatchObject({ code: 'DB_UNAVAILABLE' });
    await expect(db.fetchVal('SELECT 1')).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
      code: 'DATABASE_CONNECT_FAILED',
    });
    await server.node.start();
    expect(await db.fetchVal('SELECT 3')).toBe(3);
    expect(await db.transaction((tx) => tx.fetchVal('SELECT 4'))).toBe(4);
    await driver.close();
  });

  it('a dead host fails with DependencyUnavailableError and never shows the password', async () => {
    const driver = await PgPool.create({
      connectionString: 'postgresql://app:s3cr3t-pw@127.0.0.1:1/app',
      acquireTimeoutMs: 500,
    });
    const error = await new Database(driver).fetch('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'DATABASE_CONNECT_FAILED' });
    const text = `${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)}`;
    expect(text).not.toContain('s3cr3t-pw');
    await driver.close();
  });
});

describe('statement logging (PG-9)', () => {
  it('logs statements at debug with parameters hidden unless enabled', async () => {
    const { capturedLogger } = await import('../core/log-capture.js');
    const capture = capturedLogger();
    const driver = await PgPool.create({ connectionString: server.dsn });
    const hidden = new Database(driver, { logger: capture.logger, logStatements: true });
    await hidden.fetchVal('SELECT $1::text || $2::text', ['card-4242', 'x']);
    const shown = new Database(driver, {
      logger: capture.logger,
      logStatements: true,
      logParameters: true,
    });
    await shown.fetchVal('SELECT $1::int', [7]);
    const lines = capture.lines.filter((l) => l.msg === 'sql');
    expect(lines[0]).toMatchObject({ statement: 'SELECT', params: '2 hidden' });
    expect(JSON.stringify(lines[0])).not.toContain('card-4242');
    expect(lines[1]).toMatchObject({ params: [7] });
    expect(typeof lines[1]?.ms).toBe('number');
    const quiet = capturedLogger();
    await new Database(driver, { logger: quiet.logger }).fetchVal('SELECT 1');
    expect(quiet.lines.filter((l) => l.msg === 'sql')).toEqual([]);
    await driver.close();
  });
});
