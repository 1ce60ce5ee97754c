// MigrationService in an application: pending migrations applied at start (once, when two
// instances start together), `check` refusing to start, and readiness until it is done.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigService } from 'libretto';
import { MigrationService, MigrationsConfig } from 'libretto/migrations';
import { Database, PostgresConfig, PostgresService } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { admin } from '../postgres/backends.js';

let server: TestPostgres;
let dsn: string;
let dir: string;
let count = 0;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

beforeEach(async () => {
  const database = `svc_${++count}`;
  await admin(server.dsn, `CREATE DATABASE ${database}`);
  dsn = server.dsn.replace(/\/postgres$/, `/${database}`);
  dir = mkdtempSync(join(tmpdir(), 'lb-migration-service-'));
  writeFileSync(join(dir, '1_people.sql'), 'CREATE TABLE people (id int);');
  writeFileSync(join(dir, '2_seed.sql'), 'INSERT INTO people VALUES (1);\nSELECT pg_sleep(0.2);');
  return () => rmSync(dir, { recursive: true, force: true });
});

function app(migrations: MigrationService, yaml?: string) {
  const capture = capturedLogger();
  const postgres = new PostgresService({ dsn });
  const config =
    yaml === undefined
      ? []
      : [
          new ConfigService({
            sections: [PostgresConfig, MigrationsConfig],
            argv: ['--config', writeYaml(yaml)],
            env: {},
          }),
        ];
  return {
    app: new Application(...config, postgres, migrations, { logger: capture.logger }),
    postgres,
    capture,
  };
}

function writeYaml(text: string): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('MigrationService', () => {
  it('applies the pending migrations at start and is ready only then', async () => {
    const migrations = new MigrationService({ directory: dir });
    const { app: a, postgres, capture } = app(migrations);
    const started = a.start();
    // Not ready while the migrations run (here: before start() returns).
    expect(() => migrations.checkHealth()).toThrow('migrations not applied yet');
    await started;
    try {
      expect(() => migrations.checkHealth()).not.toThrow();
      const db = await postgres.getDependency(Database);
      expect(await db.fetchVal('SELECT count(*)::int FROM people')).toBe(1);
      const lines = capture.lines.filter((l) => l.service === 'MigrationService');
      expect(lines.map((l) => [l.msg, l.id ?? l.applied])).toEqual([
        ['migration applied', '1'],
        ['migration applied', '2'],
        ['migrations up to date', 2],
        ['service started', undefined],
      ]);
    } finally {
      await a.stop();
    }
  });

  it('two instances starting together apply each migration once', async () => {
    const one = app(new MigrationService({ directory: dir }));
    const two = app(new MigrationService({ directory: dir }));
    await Promise.all([one.app.start(), two.app.start()]);
    try {
      const db = await one.postgres.getDependency(Database);
      expect(await db.fetchVal('SELECT count(*)::int FROM people')).toBe(1);
      const applied = [...one.capture.lines, ...two.capture.lines].filter(
        (l) => l.msg === 'migration applied',
      );
      expect(applied.map((l) => l.id).sort()).toEqual(['1', '2']);
    } finally {
      await Promise.all([one.app.stop(), two.app.stop()]);
    }
  });

  it('on_start: check refuses to start while migrations are pending, from the migrations: section', async () => {
    const { app: a } = app(
      new MigrationService(),
      `migrations:\n  directory: ${dir}\n  on_start: check\n`,
    );
    const error = await a.start().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: unknown },
    );
    expect(error?.cause).toMatchObject({
      code: 'MIGRATIONS_PENDING',
      message:
        'Migrations not applied: 1_people pending, 2_seed pending; run `libretto migrate up` (or set migrations.on_start: apply)',
    });
  });

  it('on_start: off does nothing; unknown options and keys are refused', async () => {
    const { app: a, postgres } = app(new MigrationService({ directory: dir, onStart: 'off' }));
    await a.start();
    try {
      const db = await postgres.getDependency(Database);
      expect(await db.fetchVal("SELECT to_regclass('people') IS NULL")).toBe(true);
    } finally {
      await a.stop();
    }
    expect(() => new MigrationService({ dir } as never)).toThrow(
      'MigrationService: dir unknown option',
    );
  });
});
