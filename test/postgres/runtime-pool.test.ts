import { Application, DependencyUnavailableError, UsageError } from 'libretto';
import {
  type ConnectionPool,
  Database,
  PglitePool,
  PgPool,
  PostgresService,
  RuntimePool,
} from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { emptyPglite } from './empty-pglite.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const closedPool = expect.objectContaining({
  name: 'DependencyUnavailableError',
  code: 'POOL_CLOSED',
});

describe('the pool wrapper every backend shares', () => {
  it('after close, acquire and statements fail at once with POOL_CLOSED', async () => {
    const pool = await PgPool.create({ connectionString: server.dsn, maxSize: 1 });
    const db = new Database(pool);
    expect(await db.fetchVal('SELECT 1')).toBe(1);
    await pool.close();
    await pool.close(); // idempotent
    const started = performance.now();
    await expect(pool.acquire()).rejects.toEqual(closedPool);
    await expect(db.fetchVal('SELECT 1')).rejects.toEqual(closedPool);
    await expect(db.transaction(async () => 1)).rejects.toEqual(closedPool);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('closing PGlite fails the callers waiting for its one connection at once', async () => {
    const pool = await PglitePool.create({
      acquireTimeoutMs: 10_000,
      loadDataDir: await emptyPglite(),
    });
    const held = await pool.acquire();
    const waiting = pool.acquire().catch((e: unknown) => e);
    const started = performance.now();
    await pool.close();
    expect(await waiting).toEqual(closedPool);
    expect(performance.now() - started).toBeLessThan(1_000);
    held.release();
  });

  it('a connection released twice, or used after its release, is a UsageError', async () => {
    for (const pool of [
      await PgPool.create({ connectionString: server.dsn, maxSize: 1 }),
      await PglitePool.create({ loadDataDir: await emptyPglite() }),
    ]) {
      const connection = await pool.acquire();
      expect((await connection.query('SELECT 1 AS one', [])).rows).toEqual([{ one: 1 }]);
      connection.release();
      expect(() => connection.release()).toThrow(UsageError);
      expect(() => connection.release()).toThrow(
        expect.objectContaining({ code: 'CONNECTION_RELEASED_TWICE' }),
      );
      await expect(connection.query('SELECT 1', [])).rejects.toMatchObject({
        name: 'UsageError',
        code: 'CONNECTION_RELEASED',
      });
      // The pool is unharmed: its one connection serves the next caller.
      const again = await pool.acquire();
      again.release();
      await pool.close();
    }
  });

  it('a pool of your own gets the same guards through Database', async () => {
    const inner = await PgPool.create({ connectionString: server.dsn, maxSize: 1 });
    // Only the ConnectionPool interface: as the HA pool or a pool of your own.
    const own: ConnectionPool = {
      kind: 'own',
      acquire: (o) => inner.acquire(o),
      close: () => inner.close(),
    };
    const db = new Database(own);
    expect(await db.fetchVal('SELECT 2')).toBe(2);
    await db.close();
    await expect(db.fetchVal('SELECT 1')).rejects.toEqual(closedPool);
  });

  it('initialises once, and again after a failed init', async () => {
    let inits = 0;
    const inner = await PglitePool.create({ loadDataDir: await emptyPglite() });
    class Flaky extends RuntimePool {
      constructor() {
        super({
          kind: 'flaky',
          init: async () => {
            if (++inits === 1) throw new DependencyUnavailableError('not yet');
          },
          acquire: (o) => inner.acquire(o),
          close: () => inner.close(),
        });
      }
    }
    const db = new Database(new Flaky());
    await expect(db.fetchVal('SELECT 1')).rejects.toThrow('not yet');
    const [a, b] = await Promise.all([db.fetchVal('SELECT 1'), db.fetchVal('SELECT 2')]);
    expect([a, b, inits]).toEqual([1, 2, 2]);
    await db.close();
  });
});

describe('idle connection errors', () => {
  it('PostgresService logs them as warnings with the host, never the password', async () => {
    const admin = new pg.Client({ connectionString: server.dsn });
    await admin.connect();
    await admin.query("ALTER USER postgres PASSWORD 'idle-secret-pw'");
    const capture = capturedLogger();
    const dsn = server.dsn.replace('postgres@', 'postgres:idle-secret-pw@');
    const postgres = new PostgresService({ dsn });
    const app = new Application(postgres, { logger: capture.logger });
    await app.start();
    try {
      const db = await postgres.getDependency(Database);
      const pid = await db.fetchVal<number>('SELECT pg_backend_pid()');
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 200));
      const warning = capture.lines.find((l) => String(l.msg).includes('idle database connection'));
      expect(warning).toMatchObject({ level: 40, host: `127.0.0.1:${server.port}`, code: '57P01' });
      expect(capture.text()).not.toContain('idle-secret-pw');
    } finally {
      await app.stop();
      await admin.end();
    }
  });
});
