import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { UsageError } from '../errors/usage-error.js';
import { invalidMigrationFile, noMigrationsDirectory } from './migration-errors.js';
import {
  checksumOf,
  MIGRATION_EXTENSIONS,
  type MigrationFile,
  parseFileName,
} from './migration-file.js';

/** Where migrations are looked for, in this order, when no directory is named. */
export const STANDARD_MIGRATION_DIRS = [
  'migrations',
  'db/migrations',
  'src/migrations',
  'app/migrations',
] as const;

/**
 * The migrations directory: `named` (relative to `cwd`), which must exist; else the first of
 * {@link STANDARD_MIGRATION_DIRS} under `cwd` that exists; else, with `create`, `migrations`
 * created there (for `new`). Otherwise `MIGRATIONS_DIR_NOT_FOUND` naming where it looked.
 */
export function findMigrationsDirectory(
  named: string | undefined,
  cwd: string,
  create = false,
): string {
  if (named !== undefined) {
    const path = resolve(cwd, named);
    if (isDirectory(path)) return path;
    if (create) {
      mkdirSync(path, { recursive: true });
      return path;
    }
    throw noMigrationsDirectory([path], true);
  }
  for (const dir of STANDARD_MIGRATION_DIRS) {
    const path = resolve(cwd, dir);
    if (isDirectory(path)) return path;
  }
  if (create) {
    const path = resolve(cwd, STANDARD_MIGRATION_DIRS[0]);
    mkdirSync(path, { recursive: true });
    return path;
  }
  throw noMigrationsDirectory(
    STANDARD_MIGRATION_DIRS.map((d) => resolve(cwd, d)),
    false,
  );
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * The migration files of `dir`, by id. Files of other kinds (a README) are ignored; a file
 * with a migration's extension and a name that is not one, or two files with one id, are
 * refused with the file named: a typo would otherwise skip a migration silently.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  const byId = new Map<string, string>();
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (!(MIGRATION_EXTENSIONS as readonly string[]).includes(extname(entry))) continue;
    if (entry.endsWith('.d.ts') || !statSync(path).isFile()) continue;
    const parsed = parseFileName(entry);
    if (typeof parsed === 'string') throw invalidMigrationFile(path, parsed);
    const key = parsed.id.replace(/^0+(?=\d)/, ''); // 1 and 01 are one place in the order
    const other = byId.get(key);
    if (other !== undefined) {
      throw new UsageError(`Migration files ${other} and ${path} have the same id ${parsed.id}`, {
        code: 'DUPLICATE_MIGRATION_ID',
        details: [{ path: other }, { path }],
      });
    }
    byId.set(key, path);
    const text = readFileSync(path, 'utf8');
    files.push({ ...parsed, path, text, checksum: checksumOf(text) });
  }
  return files.sort((a, b) => compareIds(a.id, b.id));
}

/** Ids compare as numbers of any length: `9_x` before `10_y`. */
export function compareIds(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/** The id of a migration made at `date`: its UTC time as YYYYMMDDHHMMSS. */
export function idAt(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const SQL_TEMPLATE = `-- libretto:up


-- libretto:down

`;

const MODULE_TEMPLATE = `import type { DatabaseAdapter } from 'libretto/postgres';

export async function up(db: DatabaseAdapter): Promise<void> {
  await db.execute('');
}

export async function down(db: DatabaseAdapter): Promise<void> {
  await db.execute('');
}
`;

/** Options of {@link createMigrationFile}. */
export interface NewMigrationOptions {
  /** `sql` (default): up and down parts in one file; `ts`: a module exporting `up`/`down`. */
  readonly format?: 'sql' | 'ts';
  /** The SQL of the up part (a generated migration); the template's empty parts otherwise. */
  readonly sql?: string;
  /** When it is made: its id (default now). */
  readonly now?: Date;
}

/**
 * Writes a new migration file in `dir` named `<UTC timestamp>_<name>` and returns its path.
 * The id is after every existing one even if the clock is behind the last file's.
 */
export function createMigrationFile(
  dir: string,
  name: string,
  options: NewMigrationOptions = {},
): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
    throw new UsageError(
      `Migration name "${name}": letters, digits, _ and - only, starting with a letter or digit`,
      { code: 'INVALID_OPTION', details: [{ path: 'name', message: 'letters, digits, _ and -' }] },
    );
  }
  const existing = readMigrationFiles(dir);
  let id = idAt(options.now ?? new Date());
  const last = existing.at(-1)?.id;
  if (last !== undefined && compareIds(id, last) <= 0) id = String(BigInt(last) + 1n);
  const format = options.format ?? 'sql';
  const path = join(dir, `${id}_${name}.${format}`);
  const text =
    format === 'ts' ? MODULE_TEMPLATE : options.sql === undefined ? SQL_TEMPLATE : options.sql;
  writeFileSync(path, text, { flag: 'wx' });
  return path;
}
