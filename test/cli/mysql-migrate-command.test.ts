// `libretto migrate` on MariaDB (127.0.0.1:3306) as a process, as a user runs it: chosen by a
// mysql:// --dsn, by the seed's MYSQL_* variables, or by a mysql: section in config.yaml.
// Skipped loudly when the server is absent, a failure under CI=true.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMysqlDatabase,
  mysqlAdmin,
  mysqlAvailable,
  type TestMysqlDatabase,
} from '../mysql/server.js';

const available = await mysqlAvailable();
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
// Run from the repository, whose tsconfig maps `libretto` to the sources the example imports.
const root = fileURLToPath(new URL('../..', import.meta.url));

let database: TestMysqlDatabase;
let cwd: string;

function migrate(args: string[], env: Record<string, string> = {}, where = cwd) {
  return spawnSync(process.execPath, ['--import', tsx, main, 'migrate', ...args], {
    cwd: where,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
}

const write = (file: string, text: string) => writeFileSync(join(cwd, 'migrations', file), text);

describe.skipIf(!available)('libretto migrate on MariaDB', { timeout: 120_000 }, () => {
  beforeEach(async () => {
    database = await createMysqlDatabase();
    cwd = mkdtempSync(join(tmpdir(), 'lb-mysql-migrate-cli-'));
    mkdirSync(join(cwd, 'migrations'));
  });
  afterEach(async () => {
    await database.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('--dsn mysql://: up, a broken file reported with what was applied, status, repair, up', async () => {
    write('1_people.sql', 'CREATE TABLE people (id INT PRIMARY KEY);\n');
    write(
      '2_pets.sql',
      '-- libretto:up\nCREATE TABLE pets (id INT);\nALTER TABLE nowhere ADD COLUMN x INT;\n',
    );
    const dsn = ['--dsn', database.dsn];
    const failed = migrate(['up', ...dsn]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/^applied 1_people \(\d+ ms\)\n$/);
    expect(failed.stderr.split('\n')[0]).toContain(
      `2_pets.sql (up) failed at line 3: Table '${database.name}.nowhere' doesn't exist (errno 1146); 1 statement before it was applied and committed`,
    );
    const status = migrate(['status', ...dsn]);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(
      /^1_people {2}applied {2}\S+\n2_pets {4}failed {3}\S+ {2}partially applied: 1 statement of up; fix by hand, then repair 2\n$/,
    );
    const refused = migrate(['up', ...dsn]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('2_pets failed partway (1 statement of its up part applied)');

    await mysqlAdmin(`DROP TABLE ${database.name}.pets`);
    write('2_pets.sql', '-- libretto:up\nCREATE TABLE pets (id INT);\n');
    const repaired = migrate(['repair', '2', ...dsn]);
    expect(repaired.stdout).toBe(
      '2: its failed entry removed: it is pending again (undo or finish what it applied by hand first)\n',
    );
    expect(migrate(['up', ...dsn]).stdout).toMatch(/^applied 2_pets/);
    expect(migrate(['version', ...dsn]).stdout).toBe('2\n');
  });

  it('the seed variables MYSQL_HOST … choose MySQL; so does a mysql: section', () => {
    write('1_people.sql', 'CREATE TABLE people (id INT PRIMARY KEY);\n');
    const seed = {
      MYSQL_HOST: '127.0.0.1',
      MYSQL_PORT: '3306',
      MYSQL_USER: 'root',
      MYSQL_DATABASE: database.name,
    };
    expect(migrate(['up'], seed).stdout).toMatch(/^applied 1_people/);
    writeFileSync(
      join(cwd, 'config.yaml'),
      `mysql:\n  host: 127.0.0.1\n  user: root\n  database: ${database.name}\n`,
    );
    expect(migrate(['version']).stdout).toBe('1\n');
    const env = { LIBRETTO_MYSQL__DATABASE: 'lt_no_such_database' };
    const wrong = migrate(['version'], env);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('lt_no_such_database');
  });

  it('new --from-schema writes MySQL DDL for what is missing, then nothing', async () => {
    const dir = join(cwd, 'migrations');
    const args = ['--from-schema', 'examples/http-api/app.ts', '--migrations-dir', dir];
    const dsn = ['--dsn', database.dsn];
    const created = migrate(['new', 'initial', ...args, ...dsn], {}, root);
    expect(created.stderr).toBe('');
    const [file] = readdirSync(dir);
    expect(created.stdout).toBe(`created ${join(dir, file as string)}\n`);
    const text = readFileSync(join(dir, file as string), 'utf8');
    expect(text).toContain('CREATE TABLE `person` (');
    expect(text).toContain(
      'CREATE UNIQUE INDEX `person_email_key` ON `person` (`email`, `_live`);',
    );
    expect(text).toContain('DROP INDEX `person_email_key` ON `person`;');
    expect(migrate(['up', ...dsn]).stdout).toMatch(/^applied \d{14}_initial /);
    // A column the database lacks is added.
    await mysqlAdmin(`ALTER TABLE ${database.name}.person DROP COLUMN updated_at`);
    const column = migrate(['new', 'column', ...args, ...dsn], {}, root);
    const added = readdirSync(dir).find((f) => f.endsWith('_column.sql')) as string;
    expect(column.status).toBe(0);
    expect(readFileSync(join(dir, added), 'utf8')).toContain(
      '-- libretto:up\nALTER TABLE `person` ADD COLUMN `updated_at` DATETIME(6) NOT NULL;\n\n-- libretto:down\nALTER TABLE `person` DROP COLUMN `updated_at`;\n',
    );
    expect(migrate(['up', ...dsn]).stdout).toMatch(/^applied \d{14}_column /);
    const again = migrate(['new', 'again', ...args, ...dsn], {}, root);
    expect(again.stdout).toBe(
      'nothing to write: the database already matches the schema registry\n',
    );
  });
});
