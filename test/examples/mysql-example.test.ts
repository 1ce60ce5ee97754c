// The example API on MariaDB by configuration only: LIBRETTO_MYSQL__DSN set, nothing else
// changed — MysqlService instead of PostgresService, the migrations of migrations-mysql/
// applied at start on a fresh database. Skipped loudly when :3306 is absent, a failure under
// CI=true.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Application } from 'libretto';
import type { HttpService } from 'libretto/http';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase, mysqlAvailable, type TestMysqlDatabase } from '../mysql/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const available = await mysqlAvailable();

let database: TestMysqlDatabase | undefined;
let example: { app: Application; http: HttpService } | undefined;
let base: string;

beforeAll(async () => {
  if (!available) return;
  database = await createMysqlDatabase();
  process.env.LIBRETTO_CONFIG = join(root, 'examples/http-api/config.yaml');
  process.env.LIBRETTO_API__PORT = '0';
  process.env.LIBRETTO_LOG_LEVEL = 'warn';
  process.env.LIBRETTO_MYSQL__DSN = database.dsn;
  example = (await import('../../examples/http-api/app.js')) as typeof example;
  await example?.app.start();
  base = String(example?.http.url);
}, 60_000);
afterAll(async () => {
  await example?.app.stop();
  await database?.drop();
  for (const name of ['LIBRETTO_CONFIG', 'LIBRETTO_API__PORT', 'LIBRETTO_MYSQL__DSN']) {
    delete process.env[name];
  }
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, base), {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as { data: Record<string, unknown> & unknown[] };
  return { status: response.status, data: json.data };
}

describe.skipIf(!available)('the example API on MariaDB (LIBRETTO_MYSQL__DSN only)', () => {
  it('migrates the fresh database at start, then creates, reads, searches and updates a person', async () => {
    const c = await mysql.createConnection(database?.dsn as string);
    try {
      const [rows] = await c.query('SELECT id, name, failed_at FROM libretto_migrations');
      expect(rows).toEqual([{ id: '20261202121740', name: 'initial', failed_at: null }]);
    } finally {
      await c.end();
    }

    const org = await call('POST', '/organizations', { name: 'Analytical Engines', country: 'GB' });
    expect(org.status).toBe(201);
    const ada = await call('POST', '/people', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      organizationId: org.data.entityId,
    });
    expect(ada.status).toBe(201);
    const id = ada.data.entityId as string;

    const read = await call('GET', `/people/${id}?organization=true`);
    expect(read.status).toBe(200);
    expect(read.data).toMatchObject({
      lastName: 'Lovelace',
      organization: { name: 'Analytical Engines' },
    });

    const renamed = await call('PUT', `/people/${id}`, {
      firstName: 'Ada',
      lastName: 'King',
      email: 'ada@example.com',
      organizationId: org.data.entityId,
      version: ada.data.version,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.data.previousVersion).toBe(ada.data.version);
    const stale = await call('PUT', `/people/${id}`, {
      firstName: 'Ada',
      lastName: 'Byron',
      email: 'ada@example.com',
      version: ada.data.version,
    });
    expect(stale.status).toBe(409);
    const twin = await call('POST', '/people', {
      firstName: 'Augusta',
      lastName: 'King',
      email: 'ada@example.com',
    });
    expect(twin.status).toBe(409);

    const found = await call('GET', '/people?q=KIN');
    expect(found.data).toMatchObject({ total: 1, items: [{ entityId: id, lastName: 'King' }] });

    const history = await call('GET', `/people/${id}/history`);
    expect(history.status).toBe(200);
    expect((history.data as unknown as { lastName: string }[]).map((p) => p.lastName)).toEqual([
      'Lovelace',
      'King',
    ]);
  });

  it('refuses to start with MySQL and a broker both configured, in one line, before migrating', async () => {
    const fresh = await createMysqlDatabase();
    const run = spawnSync(
      process.execPath,
      [
        'examples/run.mjs',
        'examples/http-api/main.ts',
        '--config',
        'examples/http-api/config.yaml',
      ],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 90_000,
        env: {
          ...process.env,
          LIBRETTO_MYSQL__DSN: fresh.dsn,
          RABBITMQ_HOST: '127.0.0.1',
          LIBRETTO_API__PORT: '0',
          LIBRETTO_LOG_LEVEL: 'info',
        },
      },
    );
    const c = await mysql.createConnection(fresh.dsn);
    try {
      expect(run.status).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        '"why":"The outbox (announcing people through RabbitMQ) runs on PostgreSQL only (its SQL: SKIP LOCKED claims, advisory locks, NOTIFY): with MySQL configured, leave RABBITMQ_* and LIBRETTO_RABBITMQ__* unset"',
      );
      expect((await c.query('SHOW TABLES'))[0]).toEqual([]);
    } finally {
      await c.end();
      await fresh.drop();
    }
  }, 120_000);
});
