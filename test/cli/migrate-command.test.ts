// `libretto migrate` as a process, as a user runs it: on a libretto/testing server whose user
// needs a password, connected through --dsn, the libpq variables, --env-files or config.yaml.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { admin } from '../postgres/backends.js';
import { requirePassword } from '../postgres/password-auth.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// tsx from this checkout: the command runs in an empty directory of its own.
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const PASSWORD = 'mig-s3cret-pw';

let server: TestPostgres;
let cwd: string;
let database: string;
let count = 0;

const dsn = (password = PASSWORD) =>
  `postgresql://app:${password}@127.0.0.1:${server.port}/${database}`;

function migrate(args: string[], env: Record<string, string> = {}, where = cwd) {
  const result = spawnSync(process.execPath, ['--import', tsx, main, 'migrate', ...args], {
    cwd: where,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  // No password in anything the command prints, whatever happened.
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

beforeAll(async () => {
  server = await startPostgres();
  await requirePassword(server, 'app', PASSWORD);
});
afterAll(() => server?.stop());

beforeEach(async () => {
  database = `cli_${++count}`;
  await admin(server.dsn, `CREATE DATABASE ${database} OWNER app`);
  cwd = mkdtempSync(join(tmpdir(), 'lb-migrate-cli-'));
  return () => rmSync(cwd, { recursive: true, force: true });
});

// Each call is a process (Node + tsx): slow on a loaded machine.
describe('libretto migrate', { timeout: 120_000 }, () => {
  it('new, up, status, version, down, with --dsn', () => {
    const created = migrate(['new', 'create_people']);
    expect(created.status).toBe(0);
    const [file] = readdirSync(join(cwd, 'migrations'));
    expect(file).toMatch(/^\d{14}_create_people\.sql$/);
    expect(created.stdout).toBe(`created ${join(cwd, 'migrations', file as string)}\n`);
    const id = (file as string).slice(0, 14);
    writeFileSync(
      join(cwd, 'migrations', file as string),
      '-- libretto:up\nCREATE TABLE people (id int);\n-- libretto:down\nDROP TABLE people;\n',
    );

    const up = migrate(['up', '--dsn', dsn()]);
    expect(up.stdout).toMatch(new RegExp(`^applied ${id}_create_people \\(\\d+ ms\\)\\n$`));
    expect(up.status).toBe(0);
    expect(migrate(['rf', '--dsn', dsn()]).stdout).toBe('nothing to apply: up to date\n');

    const status = migrate(['status', '--dsn', dsn()]);
    expect(status.stdout).toMatch(
      new RegExp(`^${id}_create_people  applied  \\d{4}-\\d\\d-\\d\\dT\\S+Z\\n$`),
    );
    expect(migrate(['version', '--dsn', dsn()]).stdout).toBe(`${id}\n`);

    const down = migrate(['rb', '--dsn', dsn()]);
    expect(down.stdout).toMatch(/^reverted \d{14}_create_people \(\d+ ms\)\n$/);
    expect(migrate(['status', '--dsn', dsn()]).stdout).toBe(`${id}_create_people  pending\n`);
  });

  it('the libpq variables, --env-files, and config.yaml give the connection', () => {
    mkdirSync(join(cwd, 'db', 'migrations'), { recursive: true });
    writeFileSync(join(cwd, 'db', 'migrations', '1_a.sql'), 'CREATE TABLE a (id int);');
    const libpq = {
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGUSER: 'app',
      PGPASSWORD: PASSWORD,
      PGDATABASE: database,
    };
    expect(migrate(['up'], libpq).stdout).toMatch(/^applied 1_a /);

    writeFileSync(join(cwd, 'db', 'migrations', '2_b.sql'), 'CREATE TABLE b (id int);');
    writeFileSync(join(cwd, 'staging.env'), `LIBRETTO_POSTGRES__DSN=${dsn()}\n`);
    expect(migrate(['up', '--env-files', 'staging.env']).stdout).toMatch(/^applied 2_b /);

    writeFileSync(join(cwd, 'db', 'migrations', '3_c.sql'), 'CREATE TABLE c (id int);');
    writeFileSync(join(cwd, '.env.secrets'), `LIBRETTO_POSTGRES__PASSWORD=${PASSWORD}\n`);
    writeFileSync(
      join(cwd, 'config.yaml'),
      `postgres:\n  host: 127.0.0.1\n  port: ${server.port}\n  user: app\n  database: ${database}\n`,
    );
    const viaConfig = migrate(['up']);
    expect(viaConfig.stderr).toBe('');
    expect(viaConfig.stdout).toMatch(/^applied 3_c /);
  });

  it('exit 1 for a failed migration, named; 2 for mistakes in the call', () => {
    mkdirSync(join(cwd, 'migrations'));
    writeFileSync(join(cwd, 'migrations', '1_bad.sql'), 'CREATE TABLE x (id int);\nSELECT nope;');
    const failed = migrate(['up', '--dsn', dsn()]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toBe(
      `libretto migrate: Migration ${join(cwd, 'migrations', '1_bad.sql')} (up) failed at line 2: column "nope" does not exist (SQLSTATE 42703); rolled back, nothing of it applied\n`,
    );

    const wrongPassword = migrate(['status', '--dsn', dsn('wrong-pw')]);
    expect(wrongPassword.status).toBe(1);
    expect(wrongPassword.stderr).toBe(
      `libretto migrate: Cannot connect to database "${database}" at 127.0.0.1:${server.port} as user "app": password authentication failed for user "app" (SQLSTATE 28P01)\n`,
    );

    const mistakes: [string[], string][] = [
      [['sideways'], 'unknown migrate command "sideways" (new, up, down, status, version, repair)'],
      [['up', '--steps'], '--steps needs a value'],
      [['up', '--nope'], 'unknown option --nope (libretto migrate --help lists them)'],
      [['down', '--steps', 'two', '--dsn', dsn()], '--steps must be a whole number, not "two"'],
      [['new'], 'migrate new takes one argument: <name>'],
      [
        ['new', 'bad name!'],
        'Migration name "bad name!": letters, digits, _ and - only, starting with a letter or digit',
      ],
      [['up', '--env-files', 'none.env'], '--env-files: none.env does not exist'],
      [['up', '--to', '7', '--dsn', dsn()], 'No migration has the id 7'],
      [
        ['up', '--migrations-dir', 'nowhere'],
        `No migrations directory: ${join(cwd, 'nowhere')} does not exist; create one with \`libretto migrate new <name>\` or name it with --migrations-dir`,
      ],
    ];
    for (const [args, message] of mistakes) {
      const result = migrate(args);
      expect({ args, stderr: result.stderr, status: result.status }).toEqual({
        args,
        stderr: `libretto migrate: ${message}\n`,
        status: 2,
      });
    }
    const bare = migrate([]);
    expect(bare.status).toBe(2);
    expect(bare.stdout).toContain('Usage: libretto migrate <command>');
  });

  it('a TypeScript migration runs through tsx', async () => {
    mkdirSync(join(cwd, 'migrations'));
    writeFileSync(
      join(cwd, 'migrations', '1_seed.ts'),
      "export async function up(db: { execute(sql: string): Promise<number> }): Promise<void> {\n  await db.execute('CREATE TABLE seeded (id int)');\n}\n",
    );
    const result = migrate(['up', '--dsn', dsn()]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^applied 1_seed /);
    // The module ran: its table is in the database.
    const client = new pg.Client({
      connectionString: server.dsn.replace(/\/postgres$/, `/${database}`),
    });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT to_regclass('seeded') IS NOT NULL AS made");
      expect(rows[0]?.made).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('new --from-schema writes what takes the database to a schema registry, then nothing', () => {
    // From the repository, whose tsconfig maps `libretto` to the sources the example imports.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const dir = join(cwd, 'generated');
    const args = [
      '--from-schema',
      'examples/http-api/app.ts',
      '--migrations-dir',
      dir,
      '--dsn',
      dsn(),
    ];
    const first = migrate(['new', 'initial', ...args], {}, root);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^created .*\/generated\/\d{14}_initial\.sql\n$/);
    const [file] = readdirSync(dir);
    const text = readFileSync(join(dir, file as string), 'utf8');
    expect(text).toMatch(
      /^-- Generated by libretto from the schema registry: review it before applying.\n\n-- libretto:up\n/,
    );
    expect(text).toContain('CREATE TABLE "person"');
    expect(text).toContain('-- libretto:down');
    expect(migrate(['up', '--migrations-dir', dir, '--dsn', dsn()]).stdout).toMatch(
      /^applied \d{14}_initial /,
    );
    const again = migrate(['new', 'again', ...args], {}, root);
    expect(again.stdout).toBe(
      'nothing to write: the database already matches the schema registry\n',
    );
    expect(readdirSync(dir)).toHaveLength(1);
    expect(migrate(['up', '--allow-destructive']).stderr).toBe(
      'libretto migrate: --from-schema and --allow-destructive go with migrate new\n',
    );
  });

  it('with no database named, migrates the embedded default in the project directory', () => {
    chmodSync(cwd, 0o755); // as root the embedded server runs as `nobody`, which must reach .data/
    mkdirSync(join(cwd, 'migrations'));
    writeFileSync(join(cwd, 'migrations', '1_notes.sql'), 'CREATE TABLE notes (id int);');
    const up = migrate(['up']);
    expect(up.stderr).toBe('');
    expect(up.stdout).toMatch(/^applied 1_notes /);
    expect(existsSync(join(cwd, '.data', 'postgres', 'PG_VERSION'))).toBe(true);
    // A second process finds what the first one left.
    expect(migrate(['status']).stdout).toMatch(/^1_notes {2}applied {2}\S+\n$/);
  });
});
