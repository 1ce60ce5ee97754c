import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { invalidMigrationFile } from './migration-errors.js';

/** What a TypeScript or JavaScript migration exports. */
export interface MigrationModule {
  up(db: DatabaseAdapter): Promise<void>;
  down?(db: DatabaseAdapter): Promise<void>;
  /** false: run outside a transaction (`CREATE INDEX CONCURRENTLY`), recorded after it succeeds. */
  readonly transaction?: boolean;
}

/** One part of a SQL migration and the line of the file it starts on. */
export interface SqlPart {
  readonly sql: string;
  readonly line: number;
}

/** A SQL migration's parts, read from its markers. */
export interface SqlMigration {
  readonly up: SqlPart;
  readonly down: SqlPart | undefined;
  readonly transaction: boolean;
}

/** A migration file in the migrations directory. */
export interface MigrationFile {
  /** The leading digits of the file name: the order of migrations (`20261202073000`). */
  readonly id: string;
  /** The rest of the name, without the extension (`create_people`). */
  readonly name: string;
  /** The path as found (relative to the working directory when the directory was). */
  readonly path: string;
  readonly format: 'sql' | 'module';
  /** sha256 of the text with line endings normalized: an edit anywhere changes it. */
  readonly checksum: string;
  /** The file's text. */
  readonly text: string;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.(sql|ts|mts|js|mjs)$/;

/** Extensions of files that are migrations; other files in the directory are ignored. */
export const MIGRATION_EXTENSIONS = ['.sql', '.ts', '.mts', '.js', '.mjs'] as const;

/** The id and name of a migration file name, or why it is not one. */
export function parseFileName(
  fileName: string,
): { id: string; name: string; format: 'sql' | 'module' } | string {
  const match = FILE_NAME.exec(fileName);
  if (match === null) {
    return 'the name must be <digits>_<name>.sql (or .ts, .js), e.g. 20261202073000_create_people.sql';
  }
  return {
    id: match[1] as string,
    name: match[2] as string,
    format: match[3] === 'sql' ? 'sql' : 'module',
  };
}

/** The checksum recorded for an applied migration: line endings do not count. */
export function checksumOf(text: string): string {
  return createHash('sha256').update(normalized(text)).digest('hex');
}

function normalized(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

const MARKER = /^\s*--\s*libretto:([a-z-]+)\s*$/;
const MARKERS = new Set(['up', 'down', 'no-transaction']);

/**
 * The parts of a SQL migration. Its markers are comment lines: `-- libretto:up` and
 * `-- libretto:down` start the parts, `-- libretto:no-transaction` before them runs it
 * outside a transaction. A file without markers is all `up`, with no down part.
 */
export function parseSqlMigration(path: string, text: string): SqlMigration {
  const lines = normalized(text).split('\n');
  const markers: { kind: string; index: number }[] = [];
  for (const [index, line] of lines.entries()) {
    const kind = MARKER.exec(line)?.[1];
    if (kind === undefined) continue;
    if (!MARKERS.has(kind)) {
      const known = 'up, down, no-transaction';
      throw invalidMigrationFile(
        path,
        `unknown marker \`-- libretto:${kind}\` at line ${index + 1} (${known})`,
      );
    }
    markers.push({ kind, index });
  }
  const at = (m: { index: number }) => `at line ${m.index + 1}`;
  const ups = markers.filter((m) => m.kind === 'up');
  const downs = markers.filter((m) => m.kind === 'down');
  const transaction = !markers.some((m) => m.kind === 'no-transaction');
  if (ups.length === 0 && downs.length === 0) {
    return { up: { sql: lines.join('\n'), line: 1 }, down: undefined, transaction };
  }
  const up = ups[0];
  if (up === undefined)
    throw invalidMigrationFile(path, 'a `-- libretto:down` part and no `-- libretto:up`');
  const second = ups[1] ?? downs[1];
  if (second !== undefined)
    throw invalidMigrationFile(path, `a second \`-- libretto:${second.kind}\` ${at(second)}`);
  const down = downs[0];
  if (down !== undefined && down.index < up.index) {
    throw invalidMigrationFile(
      path,
      `\`-- libretto:down\` ${at(down)} comes before \`-- libretto:up\``,
    );
  }
  const late = markers.find((m) => m.kind === 'no-transaction' && m.index > up.index);
  if (late !== undefined) {
    throw invalidMigrationFile(
      path,
      `\`-- libretto:no-transaction\` ${at(late)} must come before \`-- libretto:up\``,
    );
  }
  const stray = lines
    .slice(0, up.index)
    .findIndex((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  if (stray !== -1)
    throw invalidMigrationFile(path, `SQL at line ${stray + 1} before \`-- libretto:up\``);
  const upEnd = down?.index ?? lines.length;
  return {
    up: { sql: lines.slice(up.index + 1, upEnd).join('\n'), line: up.index + 2 },
    down:
      down === undefined
        ? undefined
        : { sql: lines.slice(down.index + 1).join('\n'), line: down.index + 2 },
    transaction,
  };
}

/** Imports a TypeScript or JavaScript migration and checks what it exports. */
export async function loadMigrationModule(path: string): Promise<MigrationModule> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const hint =
      /\.m?ts$/.test(path) && /Unknown file extension/.test(String(reason))
        ? ' (a .ts migration needs tsx: npm install --save-dev tsx)'
        : '';
    throw invalidMigrationFile(path, `cannot be loaded: ${reason}${hint}`);
  }
  const { up, down, transaction } = loaded;
  if (typeof up !== 'function') throw invalidMigrationFile(path, 'exports no `up` function');
  if (down !== undefined && typeof down !== 'function') {
    throw invalidMigrationFile(path, '`down` is exported and is not a function');
  }
  if (transaction !== undefined && typeof transaction !== 'boolean') {
    throw invalidMigrationFile(path, '`transaction` is exported and is not true or false');
  }
  return loaded as unknown as MigrationModule;
}
