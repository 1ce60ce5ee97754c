import { createServer } from 'node:net';
import { DependencyUnavailableError, UsageError } from 'libretto';
import { Database } from 'libretto/postgres';
import { HaPool, PoolManager, type PoolManagerOptions } from 'libretto/postgres/ha';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// What a user sees when the cluster cannot be used: each host's last failure in the "not
// ready" and "no master" errors, duplicate hosts refused, terminate() and typed errors on
// connections handed out. One throwaway server (trust authentication until the last test).
let server: TestPostgres;
const managers: PoolManager[] = [];

beforeAll(async () => {
  server = await startPostgres();
  await admin('CREATE TABLE ha_keys (id int PRIMARY KEY)');
});
afterAll(() => server?.stop());
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
});

async function admin(text: string, dsn = server.dsn): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function manager(options: Partial<PoolManagerOptions>): Promise<PoolManager> {
  const m = await PoolManager.create({
    hosts: [`127.0.0.1:${server.port}`],
    user: 'postgres',
    database: 'postgres',
    refreshDelayMs: 100,
    refreshTimeoutMs: 1_000,
    ...options,
  });
  managers.push(m);
  return m;
}

/** A port nothing listens on (taken, then given back). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const notReady = (m: PoolManager) => m.ready(1, 0, 400).catch((e: unknown) => e);

describe('HA manager: failures say why', () => {
  it('refuses a host listed twice when configured', async () => {
    const failure = await PoolManager.create({
      hosts: ['db1:5432', 'db2:5432', 'DB1:5432'],
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UsageError);
    expect(failure).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'PoolManager: hosts list each host once (DB1:5432 is listed twice)',
    });
    // The default port makes `db1` and `db1:5432` the same host.
    await expect(
      PoolManager.create({ dsn: 'postgresql://u@db1,db1:5432/app' }),
    ).rejects.toMatchObject({
      message: 'PoolManager: hosts list each host once (db1:5432 is listed twice)',
    });
  });

  it('a refused connection: "not ready" and "no master" name the host and the reason', async () => {
    const port = await closedPort();
    const host = `127.0.0.1:${port}`;
    const m = await manager({ hosts: [host] });
    const failure = await notReady(m);
    expect(failure).toBeInstanceOf(DependencyUnavailableError);
    expect(failure).toMatchObject({
      code: 'HA_NOT_READY',
      message: `Database cluster not ready within 400 ms: wanted 1 master(s) and 0 replica(s) of database postgres; ${host} unavailable: connection refused (ECONNREFUSED)`,
      details: [{ host, role: 'unavailable', reason: 'connection refused (ECONNREFUSED)' }],
    });
    const write = await m.acquireMaster({ timeout: 300 }).catch((e: unknown) => e);
    expect(write).toMatchObject({
      code: 'HA_NO_MASTER',
      message: `No master connection to database postgres within 300 ms (${host} unavailable: connection refused (ECONNREFUSED))`,
    });
  });

  it('a missing database and an unknown user: the SQLSTATE and the server reason', async () => {
    const host = `127.0.0.1:${server.port}`;
    const noDb = await notReady(await manager({ database: 'no_such_db' }));
    expect((noDb as Error).message).toBe(
      `Database cluster not ready within 400 ms: wanted 1 master(s) and 0 replica(s) of database no_such_db; ${host} unavailable: database "no_such_db" does not exist (SQLSTATE 3D000)`,
    );
    const noUser = await notReady(await manager({ user: 'nobody' }));
    expect((noUser as Error).message).toBe(
      `Database cluster not ready within 400 ms: wanted 1 master(s) and 0 replica(s) of database postgres; ${host} unavailable: role "nobody" does not exist (SQLSTATE 28000)`,
    );
  });

  it('a host that never answers: the check limit is the reason', async () => {
    // A listener that accepts and says nothing, as a frozen server does.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const m = await manager({ hosts: [host], refreshTimeoutMs: 200 });
      await m.waitNextPoolCheck(2_000);
      const failure = await notReady(m);
      expect((failure as Error).message).toBe(
        `Database cluster not ready within 400 ms: wanted 1 master(s) and 0 replica(s) of database postgres; ${host} unavailable: no answer within 200 ms (timeout)`,
      );
      await m.close();
    } finally {
      silent.close();
    }
  });

  it('acquire() + conn.query fail with the typed errors Database gives', async () => {
    const m = await manager({});
    await m.ready(1, 0, 5_000);
    const db = new Database(new HaPool(m));
    await db.execute('INSERT INTO ha_keys (id) VALUES (1)', []);
    const viaDatabase = await db
      .execute('INSERT INTO ha_keys (id) VALUES (1)', [])
      .catch((e: unknown) => e);
    await using conn = await m.acquireMaster();
    const viaConnection = await conn
      .query('INSERT INTO ha_keys (id) VALUES (1)', [])
      .catch((e: unknown) => e);
    expect(viaConnection).toMatchObject({ code: 'DB_UNIQUE_VIOLATION' });
    expect(viaConnection).toBeInstanceOf((viaDatabase as Error).constructor);
    expect((viaConnection as Error).message).toBe((viaDatabase as Error).message);
  });

  it('terminate() closes connections that are checked out', async () => {
    const m = await manager({});
    await m.ready(1, 0, 5_000);
    const conn = await m.acquireMaster();
    const sleeping = conn.query('SELECT pg_sleep(5)', []).catch((e: unknown) => e);
    // Resolves at once: close() alone would wait for the connection to come back.
    await m.terminate();
    const closed = {
      code: 'HA_CLOSED',
      message: `The connection to 127.0.0.1:${server.port} was closed by terminate(): the HA pool manager is closed`,
    };
    expect(await sleeping).toMatchObject(closed);
    await expect(conn.query('SELECT 1', [])).rejects.toMatchObject(closed);
    conn.release(); // a no-op now, not a double release
  });

  // Last: it turns password authentication on for this server.
  it('a wrong password: SQLSTATE 28P01 and the user, never the password', async () => {
    await admin("CREATE ROLE app LOGIN PASSWORD 'right-secret-1'");
    await admin("ALTER ROLE postgres PASSWORD 'admin-secret-1'");
    const [hba] = await admin('SHOW hba_file');
    const file = (hba as { hba_file: string }).hba_file;
    await admin(`COPY (SELECT 'host all all 127.0.0.1/32 scram-sha-256') TO '${file}'`);
    await admin('SELECT pg_reload_conf()');
    const host = `127.0.0.1:${server.port}`;
    const m = await manager({ user: 'app', password: 'wrong-secret-9' });
    const failure = await notReady(m);
    const message = (failure as Error).message;
    expect(message).toBe(
      `Database cluster not ready within 400 ms: wanted 1 master(s) and 0 replica(s) of database postgres; ${host} unavailable: password authentication failed for user "app" (SQLSTATE 28P01)`,
    );
    expect(JSON.stringify(failure)).not.toContain('secret');
    const right = await manager({ user: 'app', password: 'right-secret-1' });
    await right.ready(1, 0, 5_000);
  });
});
