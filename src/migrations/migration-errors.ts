import {
  DependencyFailureError,
  DependencyTimeoutError,
  InvalidOperationError,
} from '../errors/application-errors.js';
import { UsageError } from '../errors/usage-error.js';

/** A migration file that cannot be used as it is: its name, its markers, its exports. */
export function invalidMigrationFile(file: string, reason: string): UsageError {
  return new UsageError(`Migration file ${file}: ${reason}`, {
    code: 'MIGRATION_FILE_INVALID',
    details: [{ path: file, message: reason }],
  });
}

/** No migrations directory where one was named or looked for. */
export function noMigrationsDirectory(looked: readonly string[], named: boolean): UsageError {
  const where = named ? `${looked[0]} does not exist` : `none of ${looked.join(', ')} exists`;
  return new UsageError(
    `No migrations directory: ${where}; create one with \`libretto migrate new <name>\` or name it with --migrations-dir`,
    { code: 'MIGRATIONS_DIR_NOT_FOUND', details: looked.map((path) => ({ path })) },
  );
}

/** An id given to `up --to` or `repair` that no file or record has. */
export function unknownMigration(id: string): UsageError {
  return new UsageError(`No migration has the id ${id}`, {
    code: 'UNKNOWN_MIGRATION',
    details: [{ path: 'id', message: `no migration ${id}` }],
  });
}

/** Applied migrations whose file changed or disappeared: `up` refuses to go on. */
export function appliedChanged(
  edited: readonly { id: string; file: string }[],
  missing: readonly { id: string; name: string }[],
): InvalidOperationError {
  const parts = [
    ...edited.map((m) => `${m.file} was edited after it was applied`),
    ...missing.map((m) => `${m.id}_${m.name} was applied and its file is gone`),
  ];
  const first = edited[0]?.id ?? missing[0]?.id;
  return new InvalidOperationError(
    `${parts.join('; ')}: restore the file, or record it as it is now with \`libretto migrate repair ${first}\``,
    {
      code: edited.length > 0 ? 'MIGRATION_EDITED' : 'MIGRATION_MISSING',
      details: [
        ...edited.map((m) => ({ id: m.id, path: m.file, state: 'edited' })),
        ...missing.map((m) => ({ id: m.id, state: 'missing' })),
      ],
    },
  );
}

/** A migration failed; `partial` when it ran outside a transaction and left earlier statements. */
export function migrationFailed(
  file: string,
  direction: 'up' | 'down',
  line: number | undefined,
  reason: string,
  partial: boolean,
  cause: unknown,
): DependencyFailureError {
  const at = line === undefined ? '' : ` at line ${line}`;
  const after = partial
    ? 'it ran outside a transaction: the statements before that line stay applied'
    : 'rolled back, nothing of it applied';
  return new DependencyFailureError(
    `Migration ${file} (${direction}) failed${at}: ${reason}; ${after}`,
    {
      code: 'MIGRATION_FAILED',
      details: [{ path: file, direction, ...(line === undefined ? {} : { line }) }],
      cause,
    },
  );
}

/** Another runner held the migration lock for longer than the wait allowed. */
export function lockNotFree(
  database: string,
  waitedMs: number,
  holder: string | undefined,
): DependencyTimeoutError {
  const by = holder === undefined ? 'another runner' : holder;
  return new DependencyTimeoutError(
    `Migrations of ${database} are locked by ${by}: not free within ${waitedMs} ms; try again when it is done`,
    { code: 'MIGRATION_LOCK_TIMEOUT', details: [{ database, waitedMs }] },
  );
}

/** `down` reached a migration with no down part. */
export function noDownPart(file: string): InvalidOperationError {
  return new InvalidOperationError(
    `Migration ${file} has no down part: it cannot be reverted (add a \`-- libretto:down\` part, or export \`down\`)`,
    { code: 'MIGRATION_NO_DOWN', details: [{ path: file }] },
  );
}
