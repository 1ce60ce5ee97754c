import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-errors.js';
import { Application } from '../core/application.js';
import { createLogger } from '../core/logger.js';
import { SchemaRegistry } from '../data/schema-registry.js';
import { type Provider, provide } from '../di/provider.js';
import { LibrettoError } from '../errors/libretto-error.js';
import { UsageError } from '../errors/usage-error.js';
import {
  createMigrationFile,
  findMigrationsDirectory,
  readMigrationFiles,
} from '../migrations/migration-directory.js';
import { type MigrationEvent, type MigrationStatus, Migrator } from '../migrations/migrator.js';
import { generateSchemaMigration } from '../migrations/schema-migration.js';
import { MysqlConfig, type MysqlSection } from '../mysql/mysql-config.js';
import { MysqlService } from '../mysql/mysql-service.js';
import { Database } from '../postgres/database.js';
import { haBackend } from '../postgres/ha/ha-backend.js';
import { PostgresConfig, type PostgresSection } from '../postgres/postgres-config.js';
import { PostgresService } from '../postgres/postgres-service.js';
import { cliConfigPath, DEFAULT_CONFIG_FILE, loadCliConfig } from './cli-config.js';
import { CliError } from './cli-error.js';
import { loadEnvFiles } from './env-files.js';
import { loadModule, registerTypeScript } from './load-module.js';

const USAGE = `Usage: libretto migrate <command> [options]

Commands:
  new <name>        Write a new migration file: <UTC timestamp>_<name>.sql (--format ts: a module);
                    --from-schema <module>: the SQL that takes the database to the module's
                    SchemaRegistry (destructive changes commented out unless --allow-destructive)
  up                Apply the pending migrations (alias: rf)     --to <id>: up to and including it
  down              Revert the last applied migration (alias: rb) --steps <n>: the last n
  status            Every migration: applied, pending, edited or missing, with dates
  version           The id of the migration applied last
  repair <id>       Accept an applied migration as it is now (edited: new checksum; missing: forget it)

Options:
  --migrations-dir <dir>  Default: the first of migrations, db/migrations, src/migrations, app/migrations
  --env-files <files>     Comma-separated .env files to load first. Default: .env.secrets and
                          <APP_ENV>.env when present (variables already set win)
  --config <file>         The configuration (its postgres: or mysql: section). Default:
                          LIBRETTO_CONFIG, else ./${DEFAULT_CONFIG_FILE} when it exists
  --dsn <dsn>             The database, instead of the configuration's (postgresql://, mysql://, mariadb://)
  --table <name>          The table recording applied migrations. Default: libretto_migrations
  --lock-timeout <s>      Seconds to wait for another runner. Default: 60
  -h, --help              Show this help

The database: --dsn, else MySQL/MariaDB when the mysql: section names a server (with
LIBRETTO_MYSQL__* variables) or MYSQL_HOST is set (with MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD,
MYSQL_DATABASE), else the postgres: section (with LIBRETTO_POSTGRES__* variables), else the
libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, else the embedded default.
On an HA cluster the migrations run on the master. On MySQL each statement commits: a
migration that fails partway is recorded as failed until \`repair <id>\`.
Exit codes: 0 done; 1 a migration (or the database) failed; 2 a mistake in the call or the configuration.
`;

const ALIASES: Readonly<Record<string, string>> = { rf: 'up', rb: 'down' };
const COMMANDS = new Set(['new', 'up', 'down', 'status', 'version', 'repair']);

/** `libretto migrate …`: resolves to the exit code; a mistake throws a `CliError`. */
export async function migrateCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help === true || positionals.length === 0) {
    process.stdout.write(USAGE);
    return positionals.length === 0 && values.help !== true ? 2 : 0;
  }
  const [given, ...rest] = positionals as [string, ...string[]];
  const command = ALIASES[given] ?? given;
  if (!COMMANDS.has(command)) {
    throw new CliError(
      `unknown migrate command "${given}" (new, up, down, status, version, repair)`,
    );
  }
  const wantsArgument = command === 'new' || command === 'repair';
  if (wantsArgument && rest.length !== 1) {
    throw new CliError(
      `migrate ${command} takes one argument: ${command === 'new' ? '<name>' : '<id>'}`,
    );
  }
  if (!wantsArgument && rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"`);
  loadEnvFiles(values['env-files']);
  try {
    return await run(command, rest[0], values);
  } catch (error) {
    // Mistakes in the call, the files or the configuration: exit 2, one line.
    if (error instanceof UsageError || error instanceof ConfigError) {
      throw new CliError(error.message.split('\n')[0] as string);
    }
    throw error;
  }
}

type Values = ReturnType<typeof parse>['values'];

function parse(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        'migrations-dir': { type: 'string' },
        'env-files': { type: 'string' },
        config: { type: 'string' },
        dsn: { type: 'string' },
        table: { type: 'string' },
        'lock-timeout': { type: 'string' },
        to: { type: 'string' },
        steps: { type: 'string' },
        format: { type: 'string' },
        'from-schema': { type: 'string' },
        'allow-destructive': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const quoted = /'([^']+)'/.exec(message)?.[1];
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new CliError(
        `unknown option ${quoted ?? message} (libretto migrate --help lists them)`,
      );
    }
    throw new CliError(
      /argument missing/.test(message)
        ? `${quoted?.split(' ')[0] ?? 'an option'} needs a value`
        : (message.split('\n')[0] as string),
    );
  }
}

function number(values: Values, key: 'steps' | 'lock-timeout'): number | undefined {
  const text = values[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    n < 0 ||
    (key === 'steps' && !Number.isInteger(n))
  ) {
    throw new CliError(
      `--${key} must be a ${key === 'steps' ? 'whole number' : 'number of seconds'}, not "${text}"`,
    );
  }
  return n;
}

async function run(command: string, argument: string | undefined, values: Values): Promise<number> {
  const directoryOption = values['migrations-dir'];
  if (command === 'new') {
    const format = values.format ?? 'sql';
    if (format !== 'sql' && format !== 'ts')
      throw new CliError(`--format must be sql or ts, not "${format}"`);
    const fromSchema = values['from-schema'];
    if (fromSchema === undefined) {
      const dir = findMigrationsDirectory(directoryOption, process.cwd(), true);
      const path = createMigrationFile(dir, argument as string, { format });
      process.stdout.write(`created ${path}\n`);
      return 0;
    }
    if (values.format === 'ts')
      throw new CliError('--from-schema writes SQL: leave out --format ts');
    return fromSchemaRegistry(argument as string, fromSchema, values);
  }
  if (values['from-schema'] !== undefined || values['allow-destructive'] === true) {
    throw new CliError('--from-schema and --allow-destructive go with migrate new');
  }
  const steps = number(values, 'steps');
  const lockTimeout = number(values, 'lock-timeout');
  const directory = findMigrationsDirectory(directoryOption, process.cwd());
  if (readMigrationFiles(directory).some((f) => f.format === 'module')) {
    await registerTypeScript(directory);
  }
  return withDatabase(values, async (database) => {
    const migrator = new Migrator({
      database,
      directory,
      ...(values.table === undefined ? {} : { table: values.table }),
      ...(lockTimeout === undefined ? {} : { lockTimeoutMs: lockTimeout * 1000 }),
      onEvent: report,
    });
    switch (command) {
      case 'up': {
        const applied = await migrator.up(values.to === undefined ? {} : { to: values.to });
        if (applied.length === 0) process.stdout.write('nothing to apply: up to date\n');
        return 0;
      }
      case 'down': {
        const reverted = await migrator.down(steps === undefined ? {} : { steps });
        if (reverted.length === 0) process.stdout.write('nothing to revert\n');
        return 0;
      }
      case 'status':
        process.stdout.write(statusTable(await migrator.status()));
        return 0;
      case 'version':
        process.stdout.write(`${(await migrator.version()) ?? 'none'}\n`);
        return 0;
      default: {
        const state = await migrator.repair(argument as string);
        const done =
          state === 'edited'
            ? 'its new checksum recorded'
            : state === 'missing'
              ? 'forgotten (its file is gone)'
              : state === 'failed'
                ? 'its failed entry removed: it is pending again (undo or finish what it applied by hand first)'
                : `nothing to repair (${state})`;
        process.stdout.write(`${argument}: ${done}\n`);
        return 0;
      }
    }
  });
}

/**
 * `new <name> --from-schema <module>`: the difference between the database and the module's
 * schema registry, as a migration file (none when there is no difference).
 */
async function fromSchemaRegistry(
  name: string,
  modulePath: string,
  values: Values,
): Promise<number> {
  const loaded = await loadModule(modulePath);
  const nested =
    typeof loaded.default === 'object' && loaded.default !== null
      ? Object.values(loaded.default)
      : [];
  const registry = [loaded.schema, loaded.default, ...Object.values(loaded), ...nested].find(
    (x): x is SchemaRegistry => x instanceof SchemaRegistry,
  );
  if (registry === undefined) {
    throw new CliError(
      `${modulePath} exports no SchemaRegistry (export one as \`schema\` or default)`,
    );
  }
  const dir = findMigrationsDirectory(values['migrations-dir'], process.cwd(), true);
  return withDatabase(values, async (database) => {
    const generated = await generateSchemaMigration(registry, database, {
      allowDestructive: values['allow-destructive'] === true,
      ...(values.table === undefined ? {} : { migrationsTable: values.table }),
    });
    for (const warning of generated.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (generated.empty) {
      process.stdout.write('nothing to write: the database already matches the schema registry\n');
      return 0;
    }
    const path = createMigrationFile(dir, name, { sql: generated.text });
    process.stdout.write(`created ${path}\n`);
    return 0;
  });
}

function report(event: MigrationEvent): void {
  if (event.type === 'waiting-for-lock') {
    process.stderr.write(
      `waiting for the migration lock, held by ${event.holder ?? 'another runner'}\n`,
    );
  } else {
    process.stdout.write(
      `${event.type} ${event.id}_${event.name} (${Math.round(event.durationMs)} ms)\n`,
    );
  }
}

function statusTable(rows: readonly MigrationStatus[]): string {
  if (rows.length === 0) return 'no migrations\n';
  const name = (r: MigrationStatus) => `${r.id}_${r.name}`;
  const width = Math.max(...rows.map((r) => name(r).length));
  return rows
    .map((r) => {
      const when = r.appliedAt === undefined ? '' : `  ${r.appliedAt.toISOString()}`;
      const n = r.failure?.statementsApplied;
      const partway =
        r.failure === undefined
          ? ''
          : `  partially applied: ${n === undefined ? 'some' : n} ${n === 1 ? 'statement' : 'statements'} of ${r.failure.part}; fix by hand, then repair ${r.id}`;
      return `${name(r).padEnd(width)}  ${r.state.padEnd(7)}${when}${partway}`.trimEnd();
    })
    .join('\n')
    .concat('\n');
}

const CONNECTION_KEYS = ['dsn', 'host', 'hosts', 'port', 'user', 'password', 'database'];

/**
 * Opens the database as the app would: MySQL for a `mysql://` or `mariadb://` `--dsn`, or when
 * the `mysql:` section names a server or `MYSQL_HOST` is set; else PostgreSQL (the `postgres:`
 * section, its variables, the embedded default), with `--dsn` or the libpq variables in place
 * of the section's connection.
 */
async function withDatabase(
  values: Values,
  work: (db: Database) => Promise<number>,
): Promise<number> {
  const loaded = await loadCliConfig([PostgresConfig, MysqlConfig], cliConfigPath(values.config));
  const dsn = values.dsn;
  const mysqlSection = (loaded.sections.get(MysqlConfig) ?? {}) as MysqlSection;
  const mysql =
    dsn !== undefined
      ? /^(mysql|mariadb):\/\//.test(dsn)
      : namesServer(mysqlSection) || (process.env.MYSQL_HOST ?? '') !== '';
  let service: MysqlService | PostgresService;
  let section: Provider;
  if (mysql) {
    service = new MysqlService(dsn === undefined ? {} : { dsn });
    const value = dsn === undefined ? mysqlSection : withoutConnection(mysqlSection);
    section = provide(MysqlConfig, { value });
  } else {
    let postgres = (loaded.sections.get(PostgresConfig) ?? {}) as PostgresSection;
    const connection = dsn !== undefined ? { dsn } : fromLibpq(postgres);
    if (connection !== undefined) postgres = withoutConnection(postgres);
    service = new PostgresService({ backends: [haBackend], ...(connection ?? {}) });
    section = provide(PostgresConfig, { value: postgres });
  }
  const app = new Application(service, {
    logger: createLogger({ level: 'warn', destination: process.stderr, format: 'pretty' }),
    providers: [section],
  });
  try {
    await app.start();
  } catch (error) {
    // Why the database could not be opened, without the "failed to start" wrapping.
    throw error instanceof LibrettoError && error.cause instanceof Error ? error.cause : error;
  }
  try {
    return await work(await service.getDependency(Database));
  } finally {
    await app.stop();
  }
}

/** Whether a section says where the server is. */
function namesServer(section: object): boolean {
  return CONNECTION_KEYS.some((k) => (section as Record<string, unknown>)[k] !== undefined);
}

/** A section without its connection keys (another names the server). */
function withoutConnection<S extends object>(section: S): S {
  return Object.fromEntries(
    Object.entries(section).filter(([k]) => !CONNECTION_KEYS.includes(k)),
  ) as S;
}

/** The libpq variables, when the section names no server and one of them is set. */
function fromLibpq(section: PostgresSection): Record<string, string | number> | undefined {
  const s = section as Record<string, unknown>;
  if (s.dsn !== undefined || s.host !== undefined || s.hosts !== undefined) return undefined;
  const env = process.env;
  if (
    [env.PGHOST, env.PGDATABASE, env.PGUSER, env.PGPORT].every((v) => v === undefined || v === '')
  ) {
    return undefined;
  }
  const out: Record<string, string | number> = { host: env.PGHOST || 'localhost' };
  if (env.PGPORT) {
    const port = Number(env.PGPORT);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new CliError(`PGPORT must be a port number, not "${env.PGPORT}"`);
    }
    out.port = port;
  }
  if (env.PGUSER) out.user = env.PGUSER;
  if (env.PGPASSWORD) out.password = env.PGPASSWORD;
  if (env.PGDATABASE) out.database = env.PGDATABASE;
  return out;
}
