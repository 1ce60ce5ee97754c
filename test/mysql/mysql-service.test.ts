// MysqlService: settings from the mysql: section (YAML, LIBRETTO_MYSQL__*), a DSN, the seed's
// MYSQL_* variables and the constructor; the same Database and RequestTransaction tokens as
// PostgresService; health that reflects the server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigError, ConfigService, DsnError, UsageError } from 'libretto';
import { MysqlConfig, MysqlService, type MysqlServiceOptions } from 'libretto/mysql';
import { Database, RequestTransaction, transactional } from 'libretto/postgres';
import { TcpProxy } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { failure } from '../failure.js';
import {
  createMysqlDatabase,
  MYSQL_HOST,
  MYSQL_PORT,
  mysqlAvailable,
  type TestMysqlDatabase,
} from './server.js';

const available = await mysqlAvailable();

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'libretto-cfg-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

async function start(
  options: MysqlServiceOptions,
  config: { yaml?: string; env?: Record<string, string> } = {},
) {
  const capture = capturedLogger();
  const mysql = new MysqlService({ env: {}, ...options });
  const configService = new ConfigService({
    sections: [MysqlConfig],
    argv: config.yaml === undefined ? [] : ['--config', yamlFile(config.yaml)],
    env: config.env ?? {},
  });
  const app = new Application(configService, mysql, { logger: capture.logger });
  await app.start();
  return { app, mysql, db: await mysql.getDependency(Database), log: capture };
}

describe.runIf(available)('MysqlService', () => {
  let database: TestMysqlDatabase;
  beforeAll(async () => {
    database = await createMysqlDatabase();
  });
  afterAll(() => database?.drop());

  it('reads the mysql: section, with env over YAML and the constructor over both', async () => {
    const { app, db, mysql, log } = await start(
      { maxSize: 3 },
      {
        yaml: `mysql:\n  dsn: ${database.dsn}\n  max_size: 7\n  min_size: 1\n  statement_timeout: 2\n`,
        env: { LIBRETTO_MYSQL__MIN_SIZE: '2' },
      },
    );
    expect(db.pool.kind).toBe('mysql');
    expect(db.engine.name).toBe('mysql');
    expect(mysql.settings).toMatchObject({ maxSize: 3, minSize: 2, statementTimeout: 2 });
    expect(await db.fetchVal('SELECT DATABASE()')).toBe(database.name);
    expect(Number(await db.fetchVal('SELECT @@max_statement_time'))).toBe(2);
    expect(log.text()).toContain('database ready');
    await app.stop();
  });

  it("takes the seed's MYSQL_* variables, under the section and the DSN", async () => {
    const { app, db, mysql } = await start({
      env: {
        MYSQL_HOST,
        MYSQL_PORT: String(MYSQL_PORT),
        MYSQL_USER: 'root',
        MYSQL_PASSWORD: '',
        MYSQL_DATABASE: database.name,
      },
    });
    expect(mysql.settings).toMatchObject({ host: MYSQL_HOST, port: MYSQL_PORT, user: 'root' });
    expect(await db.fetchVal('SELECT DATABASE()')).toBe(database.name);
    await app.stop();
    const bad = await failure(start({ env: { MYSQL_PORT: 'abc' } }));
    expect(JSON.stringify(bad)).toContain('MYSQL_PORT');
  });

  it('keeps the password out of settings, logs and errors', async () => {
    const secret = 'sup3r-secret-pw';
    const proxy = await TcpProxy.start(MYSQL_HOST, MYSQL_PORT);
    proxy.set('cut');
    const error = await failure(
      start({ dsn: `mysql://root:${secret}@${MYSQL_HOST}:${proxy.port}/${database.name}` }),
    );
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String(error.message)).not.toContain(secret);
    await proxy.close();
    const { app, mysql } = await start({ dsn: database.dsn, password: '' });
    expect(JSON.stringify(mysql.settings)).not.toContain('password');
    await app.stop();
  });

  it('refuses unknown keys and foreign DSNs', async () => {
    const unknown = await failure(start({}, { yaml: 'mysql:\n  pool_size: 3\n' }));
    expect(JSON.stringify(unknown)).toContain('pool_size');
    expect(findCause(unknown, ConfigError)).toBeDefined();
    const foreign = await failure(start({ dsn: 'postgresql://a@b/c' }));
    expect(findCause(foreign, DsnError)).toBeDefined();
    expect(() => new MysqlService({ backend: 'pg' } as never)).toThrow(UsageError);
  });

  it('provides Database and RequestTransaction; transactional() uses it; health follows the server', async () => {
    const proxy = await TcpProxy.start(MYSQL_HOST, MYSQL_PORT);
    const { app, db, mysql } = await start({
      dsn: `mysql://root@${MYSQL_HOST}:${proxy.port}/${database.name}`,
      acquireTimeout: 0.5,
    });
    await db.execute('CREATE TABLE note (id int PRIMARY KEY)');
    await transactional(async () => {
      await db.execute('INSERT INTO note VALUES (1)');
    });
    const tx = new RequestTransaction(db);
    await tx.start();
    await tx.execute('INSERT INTO note VALUES (2)');
    await tx.rollback();
    expect(await db.fetch('SELECT id FROM note')).toEqual([{ id: 1 }]);
    await mysql.checkHealth();
    proxy.set('cut');
    await expect(mysql.checkHealth()).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
    proxy.set('pass');
    await mysql.checkHealth();
    await app.stop();
    await proxy.close();
  });
});

function findCause<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof type) return current as T;
    current = current.cause;
  }
  return undefined;
}
