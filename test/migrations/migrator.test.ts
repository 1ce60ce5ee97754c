// The migration runner on every backend: a libretto/testing server, PostgreSQL on :5432,
// PGlite and the HA pool. Each test gets a fresh database and a directory of its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MigrationEvent, Migrator } from 'libretto/migrations';
import { Database, PgPool } from 'libretto/postgres';
import { HaPool } from 'libretto/postgres/ha';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationLockKey } from '../../src/migrations/migration-lock.js';
import { failure } from '../failure.js';
import { type Backend, backends, type Opened } from '../postgres/backends.js';

const list: Backend[] = await backends();
const fixture = fileURLToPath(new URL('./fixtures/runner.ts', import.meta.url));
afterAll(async () => {
  for (const b of list) await b.close();
});

const PEOPLE = `-- libretto:up
CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO people (name) VALUES ('Ada');

-- libretto:down
DROP TABLE people;
`;

const EMAIL = `-- libretto:up
ALTER TABLE people ADD COLUMN email text;

-- libretto:down
ALTER TABLE people DROP COLUMN email;
`;

describe.each(list.map((b) => [b.name, b] as const))('Migrator on %s', (_name, backend) => {
  let opened: Opened;
  let dir: string;
  const events: MigrationEvent[] = [];
  const migrator = (options: { lockTimeoutMs?: number } = {}) =>
    new Migrator({
      database: opened.db,
      directory: dir,
      onEvent: (e) => events.push(e),
      ...options,
    });
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const tables = async () =>
    (
      await opened.db.fetch<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      )
    ).map((r) => r.t);
  const columns = async (table: string) =>
    (
      await opened.db.fetch<{ c: string }>(
        'SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
        [table],
      )
    ).map((r) => r.c);

  beforeEach(async () => {
    opened = await backend.open();
    dir = mkdtempSync(join(tmpdir(), 'lb-migrations-'));
    events.length = 0;
  });
  afterEach(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('up, status, down, up again', async () => {
    write('1_people.sql', PEOPLE);
    write('2_email.sql', EMAIL);
    const m = migrator();
    expect((await m.status()).map((s) => [s.id, s.state])).toEqual([
      ['1', 'pending'],
      ['2', 'pending'],
    ]);
    expect(await m.version()).toBeUndefined();

    const applied = await m.up();
    expect(applied.map((s) => `${s.id}_${s.name}`)).toEqual(['1_people', '2_email']);
    expect(events.map((e) => e.type)).toEqual(['applied', 'applied']);
    expect(await columns('people')).toEqual(['id', 'name', 'email']);
    const status = await m.status();
    expect(status.map((s) => s.state)).toEqual(['applied', 'applied']);
    expect(status[0]?.appliedAt).toBeInstanceOf(Date);
    expect(await m.version()).toBe('2');
    expect(await m.up()).toEqual([]); // nothing pending: nothing done

    expect((await m.down()).map((s) => s.id)).toEqual(['2']);
    expect(await columns('people')).toEqual(['id', 'name']);
    expect(await m.version()).toBe('1');
    expect((await m.down({ steps: 5 })).map((s) => s.id)).toEqual(['1']);
    expect(await tables()).toEqual(['libretto_migrations']);

    await m.up({ to: '1' });
    expect(await m.version()).toBe('1');
    await m.up();
    expect(await opened.db.fetchVal('SELECT count(*)::int FROM people')).toBe(1);
  });

  it('a failing migration rolls back alone and is named with its line and reason', async () => {
    write('1_people.sql', PEOPLE);
    write(
      '2_broken.sql',
      '-- libretto:up\nCREATE TABLE pets (id int);\n\nALTER TABLE nowhere ADD COLUMN x int;\n',
    );
    write('3_later.sql', 'CREATE TABLE later (id int);');
    const error = await failure(migrator().up());
    expect(error).toMatchObject({
      code: 'MIGRATION_FAILED',
      details: [{ line: 4, direction: 'up' }],
    });
    expect(error.message).toBe(
      `Migration ${join(dir, '2_broken.sql')} (up) failed at line 4: relation "nowhere" does not exist (SQLSTATE 42P01); rolled back, nothing of it applied`,
    );
    expect(await tables()).toEqual(['libretto_migrations', 'people']); // 1 kept, 2 and 3 not
    expect((await migrator().status()).map((s) => s.state)).toEqual([
      'applied',
      'pending',
      'pending',
    ]);
  });

  it('an applied file that was edited or deleted stops up, until repaired', async () => {
    write('1_people.sql', PEOPLE);
    write('2_email.sql', EMAIL);
    await migrator().up();
    write('1_people.sql', PEOPLE.replace("'Ada'", "'Grace'"));
    write('3_later.sql', 'CREATE TABLE later (id int);');
    const edited = await failure(migrator().up());
    expect(edited).toMatchObject({ code: 'MIGRATION_EDITED' });
    expect(edited.message).toBe(
      `${join(dir, '1_people.sql')} was edited after it was applied: restore the file, or record it as it is now with \`libretto migrate repair 1\``,
    );
    expect(await tables()).not.toContain('later');
    // Line endings alone are no edit.
    write('1_people.sql', PEOPLE.replaceAll('\n', '\r\n'));
    unlinkSync(join(dir, '2_email.sql'));
    const missing = await failure(migrator().up());
    expect(missing).toMatchObject({ code: 'MIGRATION_MISSING' });
    expect(missing.message).toBe(
      '2_email was applied and its file is gone: restore the file, or record it as it is now with `libretto migrate repair 2`',
    );
    expect((await migrator().status()).map((s) => [s.id, s.state])).toEqual([
      ['1', 'applied'],
      ['2', 'missing'],
      ['3', 'pending'],
    ]);
    expect(await migrator().repair('2')).toBe('missing');
    await migrator().up();
    expect(await tables()).toContain('later');
    write('3_later.sql', 'CREATE TABLE later (id bigint);');
    expect(await migrator().repair('3')).toBe('edited');
    expect((await migrator().status()).map((s) => s.state)).toEqual(['applied', 'applied']);
  });

  it('a TypeScript migration gets the database in its transaction', async () => {
    write('1_people.sql', PEOPLE);
    write(
      '2_seed.ts',
      `export async function up(db) {
  await db.execute("INSERT INTO people (name) VALUES ('Grace')");
  if ((await db.fetchVal('SELECT count(*)::int FROM people')) !== 2) throw new Error('not in one transaction');
}
export async function down(db) {
  await db.execute("DELETE FROM people WHERE name = 'Grace'");
}
`,
    );
    write(
      '3_fails.ts',
      "export async function up(db) {\n  await db.execute(\"INSERT INTO people (name) VALUES ('Linus')\");\n  throw new Error('no, after all');\n}\n",
    );
    const error = await failure(migrator().up());
    expect(error.message).toBe(
      `Migration ${join(dir, '3_fails.ts')} (up) failed: no, after all; rolled back, nothing of it applied`,
    );
    expect(await opened.db.fetchVal('SELECT count(*)::int FROM people')).toBe(2);
    unlinkSync(join(dir, '3_fails.ts'));
    await migrator().down();
    expect(await opened.db.fetchVal('SELECT count(*)::int FROM people')).toBe(1);
  });

  it('a migration that ends its own transaction is refused before it runs', async () => {
    write(
      '1_people.sql',
      '-- libretto:up\nCREATE TABLE people (id int);\n-- a comment\nCOMMIT;\nCREATE TABLE more (id int);\n',
    );
    const error = await failure(migrator().up());
    expect(error).toMatchObject({ code: 'MIGRATION_FILE_INVALID' });
    expect(error.message).toBe(
      `Migration file ${join(dir, '1_people.sql')}: COMMIT at line 4: each migration already runs in a transaction of its own (with \`-- libretto:no-transaction\` the file manages its own)`,
    );
    expect(await tables()).toEqual(['libretto_migrations']);
  });

  it('a failure the server places is named by its line too', async () => {
    write(
      '1_people.sql',
      '-- libretto:up\nCREATE TABLE people (id int);\nINSERT INTO people\n  VALUES (nope);\n',
    );
    const error = await failure(migrator().up());
    expect(error).toMatchObject({ details: [{ line: 4 }] });
    expect(error.message).toContain(
      'failed at line 4: column "nope" does not exist (SQLSTATE 42703)',
    );
    expect(await tables()).toEqual(['libretto_migrations']);
    // The session is usable afterwards: the transaction was rolled back.
    write('1_people.sql', '-- libretto:up\nCREATE TABLE people (id int);\n');
    await migrator()
      .repair('1')
      .catch(() => undefined);
    expect((await migrator().up()).map((m) => m.id)).toEqual(['1']);
  });

  it('down past a migration with no down part stops there, naming it', async () => {
    write('1_people.sql', 'CREATE TABLE people (id int);');
    await migrator().up();
    const error = await failure(migrator().down());
    expect(error).toMatchObject({ code: 'MIGRATION_NO_DOWN' });
    expect(await tables()).toContain('people');
  });

  it('bad files and ids are refused before anything runs', async () => {
    write('people.sql', 'CREATE TABLE people (id int);');
    expect(await failure(migrator().up())).toMatchObject({
      code: 'MIGRATION_FILE_INVALID',
      message: `Migration file ${join(dir, 'people.sql')}: the name must be <digits>_<name>.sql (or .ts, .js), e.g. 20261202073000_create_people.sql`,
    });
    unlinkSync(join(dir, 'people.sql'));
    write('README.md', 'not a migration');
    write('1_a.sql', 'SELECT 1');
    write('01_b.sql', 'SELECT 1');
    expect(await failure(migrator().up())).toMatchObject({ code: 'DUPLICATE_MIGRATION_ID' });
    unlinkSync(join(dir, '01_b.sql'));
    expect(await failure(migrator().up({ to: '7' }))).toMatchObject({
      code: 'UNKNOWN_MIGRATION',
      message: 'No migration has the id 7',
    });
    expect(await tables()).toEqual([]);
  });
});

const servers = list.filter((b) => b.name !== 'PGlite');

describe.each(servers.map((b) => [b.name, b] as const))(
  'Migrator with other sessions on %s',
  (_name, backend) => {
    let opened: Opened;
    let dir: string;
    beforeEach(async () => {
      opened = await backend.open();
      dir = mkdtempSync(join(tmpdir(), 'lb-migrations-'));
    });
    afterEach(async () => {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('two runners started at once apply each migration exactly once (20 times)', async () => {
      writeFileSync(
        join(dir, '1_log.sql'),
        '-- libretto:up\nCREATE TABLE log (n serial, at timestamptz DEFAULT now());\nINSERT INTO log DEFAULT VALUES;\n-- libretto:down\nDROP TABLE log;\n',
      );
      writeFileSync(
        join(dir, '2_more.sql'),
        'INSERT INTO log DEFAULT VALUES;\nSELECT pg_sleep(0.01);',
      );
      // A second runner on the same database, with pools of its own.
      const dsn = opened.dsn as string;
      const second = new Database(
        backend.name.startsWith('HA')
          ? await HaPool.create({ dsn })
          : await PgPool.create({ connectionString: dsn }),
      );
      try {
        for (let run = 0; run < 20; run++) {
          const a = new Migrator({ database: opened.db, directory: dir });
          const b = new Migrator({ database: second, directory: dir });
          const [x, y] = await Promise.all([a.up(), b.up()]);
          expect(x.length + y.length).toBe(2);
          expect(await opened.db.fetchVal('SELECT count(*)::int FROM log')).toBe(2);
          await a.down({ steps: 2 }).catch(() => undefined); // 2 has no down part: drop by hand
          await opened.db.execute('DROP TABLE IF EXISTS log');
          await opened.db.execute('DELETE FROM libretto_migrations');
        }
      } finally {
        await second.close();
      }
    });
    it('a runner killed mid-migration leaves nothing of it and the lock free', async () => {
      writeFileSync(
        join(dir, '1_slow.sql'),
        'CREATE TABLE half (x int);\nINSERT INTO half VALUES (1);\nSELECT pg_sleep(60);\n',
      );
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fixture, opened.dsn as string, dir],
        { stdio: 'ignore' },
      );
      try {
        // Until the runner is inside its migration, holding the lock.
        for (let i = 0; ; i++) {
          const sleeping = await opened.db.fetchVal<number>(
            "SELECT count(*)::int FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()",
          );
          if (sleeping === 1) break;
          if (i > 300) throw new Error('the runner never reached its migration');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        child.kill('SIGKILL');
      }
      writeFileSync(join(dir, '1_slow.sql'), 'CREATE TABLE half (x int);\n');
      // The server notices the dead client within its check interval, rolls back, frees the lock.
      const applied = await new Migrator({
        database: opened.db,
        directory: dir,
        lockTimeoutMs: 10_000,
      }).up();
      expect(applied.map((m) => m.id)).toEqual(['1']);
      expect(await opened.db.fetchVal('SELECT count(*)::int FROM half')).toBe(0);
    });

    it('waits for a runner holding the lock, then says who holds it', async () => {
      writeFileSync(join(dir, '1_a.sql'), 'CREATE TABLE a (x int);');
      const holder = new pg.Client({
        connectionString: opened.dsn as string,
        application_name: 'other-runner',
      });
      await holder.connect();
      try {
        const key = migrationLockKey('libretto_migrations');
        await holder.query('SELECT pg_advisory_lock($1, $2)', [key.classId, key.objectId]);
        const events: MigrationEvent[] = [];
        const m = new Migrator({
          database: opened.db,
          directory: dir,
          lockTimeoutMs: 600,
          onEvent: (e) => events.push(e),
        });
        const error = await failure(m.up());
        expect(error).toMatchObject({ code: 'MIGRATION_LOCK_TIMEOUT' });
        const database = await opened.db.fetchVal<string>('SELECT current_database()');
        expect(error.message).toMatch(
          new RegExp(
            `^Migrations of ${database} are locked by pid \\d+ \\(other-runner, 127\\.0\\.0\\.1\\) since \\S+: not free within 600 ms; try again when it is done$`,
          ),
        );
        expect(events).toEqual([
          { type: 'waiting-for-lock', holder: expect.stringMatching(/^pid \d+ \(other-runner/) },
        ]);
        // Freed: the waiting runner goes on.
        const waiting = new Migrator({
          database: opened.db,
          directory: dir,
          lockTimeoutMs: 10_000,
        }).up();
        await new Promise((r) => setTimeout(r, 300));
        await holder.query('SELECT pg_advisory_unlock($1, $2)', [key.classId, key.objectId]);
        expect((await waiting).map((s) => s.id)).toEqual(['1']);
      } finally {
        await holder.end();
      }
    });

    it('a no-transaction migration runs CREATE INDEX CONCURRENTLY, recorded after it succeeds', async () => {
      writeFileSync(join(dir, '1_people.sql'), 'CREATE TABLE people (id int, name text);');
      writeFileSync(
        join(dir, '2_index.sql'),
        '-- libretto:no-transaction\n-- libretto:up\nCREATE INDEX CONCURRENTLY people_name ON people (name);\nCREATE INDEX CONCURRENTLY people_nope ON nowhere (name);\n-- libretto:down\nDROP INDEX CONCURRENTLY people_name;\n',
      );
      const error = await failure(new Migrator({ database: opened.db, directory: dir }).up());
      expect(error.message).toBe(
        `Migration ${join(dir, '2_index.sql')} (up) failed at line 4: relation "nowhere" does not exist (SQLSTATE 42P01); it ran outside a transaction: the statements before that line stay applied`,
      );
      const indexes = () =>
        opened.db.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'people'");
      expect(await indexes()).toEqual([{ indexname: 'people_name' }]);
      expect(
        (await new Migrator({ database: opened.db, directory: dir }).status()).map((s) => s.state),
      ).toEqual(['applied', 'pending']);
    });
  },
);
