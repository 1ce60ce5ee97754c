// The migration runner on MariaDB (127.0.0.1:3306): statement by statement, since MySQL
// commits DDL at once; a failure partway is reported with what stays applied, recorded as
// failed, and stops `up` until `repair`. Each test on a database of its own; skipped loudly
// when the server is absent, a failure under CI=true.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MigrationEvent, Migrator } from 'libretto/migrations';
import { MysqlPool } from 'libretto/mysql';
import { Database } from 'libretto/postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../failure.js';
import { mysqlAvailable, openMysql } from '../mysql/server.js';

const available = await mysqlAvailable();

const PEOPLE = `-- libretto:up
# MySQL comments and quoting: backquotes, '' and \\' in strings
CREATE TABLE \`people\` (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL);
INSERT INTO people (name) VALUES ('Ada; Countess'), ('O''Brien'), ('D\\'Arcy');

-- libretto:down
DROP TABLE people;
`;

const EMAIL = `-- libretto:up
ALTER TABLE people ADD COLUMN email VARCHAR(200);

-- libretto:down
ALTER TABLE people DROP COLUMN email;
`;

/** Two statements apply, the third names a table that is not there. */
const BROKEN = `-- libretto:up
CREATE TABLE pets (id INT PRIMARY KEY);
CREATE INDEX pets_id_idx ON pets (id);

-- the next one fails
ALTER TABLE nowhere ADD COLUMN x INT;
CREATE TABLE never (id INT);
`;

describe.skipIf(!available)('Migrator on MariaDB', () => {
  let opened: Awaited<ReturnType<typeof openMysql>>;
  /** The test's database. */
  let name: string;
  let dir: string;
  const events: MigrationEvent[] = [];
  const migrator = (options: { lockTimeoutMs?: number; database?: Database } = {}) =>
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
        'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1',
      )
    ).map((r) => r.t);
  const columns = async (table: string) =>
    (
      await opened.db.fetch<{ c: string }>(
        'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [table],
      )
    ).map((r) => r.c);

  beforeEach(async () => {
    opened = await openMysql();
    name = new URL(opened.dsn).pathname.slice(1);
    dir = mkdtempSync(join(tmpdir(), 'lb-mysql-migrations-'));
    events.length = 0;
  });
  afterEach(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('up, status, version, down, up again', async () => {
    write('1_people.sql', PEOPLE);
    write('2_email.sql', EMAIL);
    const m = migrator();
    expect((await m.status()).map((s) => [s.id, s.state])).toEqual([
      ['1', 'pending'],
      ['2', 'pending'],
    ]);
    expect(await m.version()).toBeUndefined();

    expect((await m.up()).map((s) => `${s.id}_${s.name}`)).toEqual(['1_people', '2_email']);
    expect(events.map((e) => e.type)).toEqual(['applied', 'applied']);
    expect(await columns('people')).toEqual(['id', 'name', 'email']);
    expect(await opened.db.fetch('SELECT name FROM people ORDER BY id')).toEqual([
      { name: 'Ada; Countess' },
      { name: "O'Brien" },
      { name: "D'Arcy" },
    ]);
    const status = await m.status();
    expect(status.map((s) => s.state)).toEqual(['applied', 'applied']);
    expect(status[0]?.appliedAt).toBeInstanceOf(Date);
    // Written in UTC and read back as the same instant (the session runs in UTC).
    expect(Math.abs(Number(status[0]?.appliedAt) - Date.now())).toBeLessThan(60_000);
    expect(await m.version()).toBe('2');
    expect(await m.up()).toEqual([]);

    expect((await m.down()).map((s) => s.id)).toEqual(['2']);
    expect(await columns('people')).toEqual(['id', 'name']);
    expect(await m.version()).toBe('1');
    expect((await m.down({ steps: 5 })).map((s) => s.id)).toEqual(['1']);
    expect(await tables()).toEqual(['libretto_migrations']);
    await m.up({ to: '1' });
    expect(await m.version()).toBe('1');
  });

  it('a broken file: reported with what was applied, shown by status, refused by up until repair', async () => {
    write('1_people.sql', PEOPLE);
    write('2_pets.sql', BROKEN);
    write('3_later.sql', 'CREATE TABLE later (id INT);');
    const error = await failure(migrator().up());
    expect(error).toMatchObject({
      code: 'MIGRATION_FAILED',
      details: [{ line: 6, direction: 'up', statementsApplied: 2 }],
    });
    const path = join(dir, '2_pets.sql');
    expect(error.message.split('\n')[0]).toBe(
      `Migration ${path} (up) failed at line 6: Table '${name}.nowhere' doesn't exist (errno 1146); 2 statements before it were applied and committed (MySQL commits each DDL statement), so it is recorded as failed: finish or undo them by hand, then run \`libretto migrate repair 2\``,
    );
    expect(await tables()).toEqual(['libretto_migrations', 'people', 'pets']);
    const status = await migrator().status();
    expect(status.map((s) => [s.id, s.state])).toEqual([
      ['1', 'applied'],
      ['2', 'failed'],
      ['3', 'pending'],
    ]);
    expect(status[1]?.failure).toMatchObject({ part: 'up', statementsApplied: 2 });
    expect(await migrator().version()).toBe('1');

    const refused = await failure(migrator().up());
    expect(refused).toMatchObject({ code: 'MIGRATION_FAILED_PARTWAY' });
    expect(refused.message).toBe(
      '2_pets failed partway (2 statements of its up part applied): finish or undo it by hand, then run `libretto migrate repair 2`',
    );
    expect(await failure(migrator().down())).toMatchObject({ code: 'MIGRATION_FAILED_PARTWAY' });
    expect(await tables()).not.toContain('later');

    // Fixed by hand: the applied statements undone, the file corrected; repair, up again.
    await opened.db.execute('DROP TABLE pets');
    write('2_pets.sql', BROKEN.replace('nowhere', 'pets'));
    expect(await migrator().repair('2')).toBe('failed');
    expect((await migrator().status()).map((s) => s.state)).toEqual([
      'applied',
      'pending',
      'pending',
    ]);
    expect((await migrator().up()).map((s) => s.id)).toEqual(['2', '3']);
    expect(await columns('pets')).toEqual(['id', 'x']);
    expect(await tables()).toEqual(['later', 'libretto_migrations', 'never', 'people', 'pets']);
  });

  it('a failing first statement leaves nothing applied and nothing recorded', async () => {
    write('1_bad.sql', 'CREATE TABLE t (id INT;\nCREATE TABLE u (id INT);');
    const error = await failure(migrator().up());
    expect(error.message).toMatch(
      new RegExp(
        `^Migration ${join(dir, '1_bad.sql').replaceAll('/', '\\/')} \\(up\\) failed at line 1: You have an error in your SQL syntax; .* \\(errno 1064\\); no statement of it was applied$`,
      ),
    );
    expect((await migrator().status()).map((s) => s.state)).toEqual(['pending']);
  });

  it('an applied file edited stops up, until repaired (checksums as on PostgreSQL)', async () => {
    write('1_people.sql', PEOPLE);
    await migrator().up();
    write('1_people.sql', PEOPLE.replace("'Ada; Countess'", "'Grace'"));
    write('2_email.sql', EMAIL);
    const edited = await failure(migrator().up());
    expect(edited).toMatchObject({ code: 'MIGRATION_EDITED' });
    expect(await columns('people')).toEqual(['id', 'name']);
    write('1_people.sql', PEOPLE.replaceAll('\n', '\r\n')); // line endings are no edit
    expect((await migrator().status()).map((s) => s.state)).toEqual(['applied', 'pending']);
    write('1_people.sql', `${PEOPLE}# a comment added\n`);
    expect(await migrator().repair('1')).toBe('edited');
    await migrator().up();
    expect(await columns('people')).toEqual(['id', 'name', 'email']);
  });

  it('a second runner waits for the lock, then times out naming the holder', async () => {
    write('1_people.sql', PEOPLE);
    const other = await MysqlPool.create({ connectionString: opened.dsn });
    const holder = await other.acquire();
    try {
      const id = (await holder.query<{ id: string }>('SELECT CONNECTION_ID() AS id', [])).rows[0]
        ?.id;
      await holder.query(
        `SELECT GET_LOCK('libretto_migrations:${name}.libretto_migrations', 0)`,
        [],
      );
      const error = await failure(migrator({ lockTimeoutMs: 1500 }).up());
      expect(error).toMatchObject({ code: 'MIGRATION_LOCK_TIMEOUT' });
      expect(error.message).toMatch(
        new RegExp(
          `^Migrations of ${name} are locked by connection ${id} \\(root@127\\.0\\.0\\.1:\\d+\\): not free within 1500 ms; try again when it is done$`,
        ),
      );
      expect(events[0]).toMatchObject({
        type: 'waiting-for-lock',
        holder: expect.stringMatching(new RegExp(`^connection ${id} \\(root@`)),
      });
      expect(await tables()).toEqual([]);

      // Freed while a runner waits: it goes on.
      const waiting = migrator({ lockTimeoutMs: 30_000 }).up();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query(
        `SELECT RELEASE_LOCK('libretto_migrations:${name}.libretto_migrations')`,
        [],
      );
      expect((await waiting).map((s) => s.id)).toEqual(['1']);
    } finally {
      holder.release();
      await other.close();
    }
  });

  it('two runners started at once apply each migration once', async () => {
    write('1_people.sql', PEOPLE);
    write('2_email.sql', EMAIL);
    const second = new Database(await MysqlPool.create({ connectionString: opened.dsn }));
    try {
      const runs = await Promise.all([migrator().up(), migrator({ database: second }).up()]);
      expect(runs.flat().map((s) => s.id)).toEqual(['1', '2']);
      expect(await opened.db.fetchVal('SELECT count(*) FROM people')).toBe('3');
    } finally {
      await second.close();
    }
  });

  it('a TypeScript migration that fails is recorded as failed (how much stays is not known)', async () => {
    write('1_people.sql', PEOPLE);
    write(
      '2_fails.ts',
      "export async function up(db) {\n  await db.execute('CREATE TABLE extra (id INT)');\n  throw new Error('no, after all');\n}\n",
    );
    const error = await failure(migrator().up());
    expect(error.message).toBe(
      `Migration ${join(dir, '2_fails.ts')} (up) failed: no, after all; an unknown number of statements before it were applied and committed (MySQL commits each DDL statement), so it is recorded as failed: finish or undo them by hand, then run \`libretto migrate repair 2\``,
    );
    expect(await tables()).toContain('extra'); // DDL commits, even in a transaction
    expect((await migrator().status()).map((s) => s.state)).toEqual(['applied', 'failed']);
  });
});
