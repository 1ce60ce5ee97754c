import { ConfigError, DsnError, StartupError, UsageError } from 'libretto';
import { PglitePool, PostgresService, RequestTransaction, transactional } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPglite } from './empty-pglite.js';
import { startService } from './service-harness.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const run = startService;

describe('PostgresService', () => {
  it('runs the embedded server when no server is configured', async () => {
    // Its own throwaway directory: the default .data/postgres is the example's, checked there.
    const { app, db, postgres } = await run({ dataDir: ':memory:' });
    expect(db.pool.kind).toBe('embedded');
    expect(postgres.settings?.backend).toBe('embedded');
    expect(await db.fetchVal('SELECT 20 + 22')).toBe(42);
    await app.stop();
  });

  it('uses a server from the YAML dsn, with env over YAML and the constructor over both', async () => {
    const { app, db, postgres } = await run(
      { maxSize: 3 },
      {
        yaml: `postgres:\n  dsn: ${server.dsn}\n  max_size: 7\n  min_size: 1\n  statement_timeout: 2\n`,
        env: { LIBRETTO_POSTGRES__MIN_SIZE: '2' },
      },
    );
    expect(db.pool.kind).toBe('pg');
    expect(postgres.settings).toMatchObject({ maxSize: 3, minSize: 2, statementTimeout: 2 });
    expect(await db.fetchVal('SHOW statement_timeout')).toBe('2s');
    await app.stop();
  });

  it('honours sslmode and application_name in the DSN, and refuses what it would ignore', async () => {
    const { app, db } = await run({
      dsn: `${server.dsn}?sslmode=disable&application_name=lb_test`,
    });
    expect(await db.fetchVal("SELECT current_setting('application_name')")).toBe('lb_test');
    await app.stop();
    for (const options of [
      { dsn: `${server.dsn}?search_path=x` },
      { dsn: `${server.dsn}?sslmode=maybe` },
      { dsn: 'postgresql://a@h1:5432,h2:5432/db', backend: 'pg' as const },
    ]) {
      const error = await run(options).catch((e: unknown) => e);
      expect(findCause(error, UsageError)).toMatchObject({ code: 'INVALID_OPTION' });
    }
  });

  it('takes a driver of your own (how the HA pool manager plugs in)', async () => {
    const { app, db } = await run({
      pool: async () => PglitePool.create({ loadDataDir: await emptyPglite() }),
    });
    expect(db.pool.kind).toBe('pglite');
    expect(await db.fetchVal('SELECT 6 * 7')).toBe(42);
    await app.stop();
  });

  it('host h:p, user and database keys work without a DSN', async () => {
    const { app, db } = await run(
      {},
      {
        yaml: `postgres:\n  host: 127.0.0.1:${server.port}\n  user: postgres\n  database: postgres\n`,
      },
    );
    expect(await db.fetchVal('SELECT current_user')).toBe('postgres');
    await app.stop();
  });

  it('provides a request-scoped transaction that commits, and rolls back when left open', async () => {
    const { app, postgres, db } = await run({ dsn: server.dsn });
    await db.execute('CREATE TABLE note (id int PRIMARY KEY)');
    {
      await using scope = postgres.createScope();
      const tx = await scope.get(RequestTransaction);
      await tx.start();
      await tx.execute('INSERT INTO note VALUES (1)');
      expect(await db.fetchVal('SELECT count(*)::int FROM note')).toBe(0);
      await tx.commit();
    }
    {
      await using scope = postgres.createScope();
      const tx = await scope.get(RequestTransaction);
      await tx.start({ isolation: 'serializable' });
      await tx.execute('INSERT INTO note VALUES (2)');
      expect(await tx.fetchVal('SHOW transaction_isolation')).toBe('serializable');
      // Joined by transactional() code running inside it:
      await tx.transaction(() => db.execute('INSERT INTO note VALUES (3)'));
    }
    expect(await db.fetch('SELECT id FROM note ORDER BY id')).toEqual([{ id: 1 }]);
    await app.stop();
  });

  it('transactional() uses the running service by default, and refuses after stop', async () => {
    const { app } = await run({ dsn: server.dsn });
    expect(await transactional((tx) => tx.fetchVal('SELECT 5'))).toBe(5);
    await app.stop();
    await expect(transactional(async () => 1)).rejects.toMatchObject({
      name: 'UsageError',
      code: 'NO_DEFAULT_DATABASE',
    });
  });

  it('reports bad configuration with typed errors, never the password', async () => {
    expect(() => new PostgresService({ maxsize: 3 } as never)).toThrow(UsageError);
    const malformed = await run(
      {},
      { yaml: 'postgres:\n  dsn: "postgresql://u:topsecret@[::1/db"\n' },
    ).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(StartupError);
    expect(String((malformed as Error).cause)).not.toContain('topsecret');
    expect(JSON.stringify(malformed)).not.toContain('topsecret');
    expect(findCause(malformed, DsnError)).toBeDefined();
    const unknown = await run({}, { yaml: 'postgres:\n  hots: x\n' }).catch((e: unknown) => e);
    expect(findCause(unknown, ConfigError)).toBeDefined();
  });

  it('fails to start when the server is unreachable, without the password', async () => {
    const error = await run({
      dsn: 'postgresql://app:hunter2-secret@127.0.0.1:1/app',
      acquireTimeout: 0.5,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    const text = JSON.stringify(error) + String((error as Error).stack);
    expect(text).not.toContain('hunter2-secret');
  });
});

function findCause(error: unknown, type: new (...a: never[]) => Error): Error | undefined {
  let e: unknown = error;
  while (e instanceof Error) {
    if (e instanceof type) return e;
    e = (e as Error).cause;
  }
  return undefined;
}
