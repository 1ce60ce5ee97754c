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

/**
 * A migration failed on an engine that commits each statement (MySQL): how many statements
 * before the failing one stay applied; when some do, the migration is recorded as failed.
 */
export function migrationFailedPartway(
  file: string,
  id: string,
  direction: 'up' | 'down',
  line: number | undefined,
  reason: string,
  applied: number | undefined,
  cause: unknown,
): DependencyFailureError {
  const at = line === undefined ? '' : ` at line ${line}`;
  const after =
    applied === 0
      ? 'no statement of it was applied'
      : `${applied === undefined ? 'an unknown number of' : applied} ${applied === 1 ? 'statement' : 'statements'} before it ${applied === 1 ? 'was' : 'were'} applied and committed (MySQL commits each DDL statement), so it is recorded as failed: finish or undo ${applied === 1 ? 'it' : 'them'} by hand, then run \`libretto migrate repair ${id}\``;
  return new DependencyFailureError(
    `Migration ${file} (${direction}) failed${at}: ${reason}; ${after}`,
    {
      code: 'MIGRATION_FAILED',
      details: [
        {
          path: file,
          direction,
          ...(line === undefined ? {} : { line }),
          ...(applied === undefined ? {} : { statementsApplied: applied }),
        },
      ],
      cause,
    },
  );
}

/** Migrations recorded as failed partway: `up` and `down` refuse to run until `repair`. */
export function failedMigrations(
  failed: readonly {
    id: string;
    name: string;
    part: 'up' | 'down';
    statementsApplied: number | undefined;
  }[],
): InvalidOperationError {
  const parts = failed.map((m) => {
    const n = m.statementsApplied;
    const applied =
      n === undefined ? 'some statements' : `${n} ${n === 1 ? 'statement' : 'statements'}`;
    return `${m.id}_${m.name} failed partway (${applied} of its ${m.part} part applied)`;
  });
  const first = failed[0]?.id;
  return new InvalidOperationError(
    `${parts.join('; ')}: finish or undo it by hand, then run \`libretto migrate repair ${first}\``,
    {
      code: 'MIGRATION_FAILED_PARTWAY',
      details: failed.map((m) => ({ id: m.id, state: 'failed', part: m.part })),
    },
  );
}

/** The driver's error under a mapped one (it has the position, the SQLSTATE or errno). */
export function driverErrorOf(error: unknown): unknown {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && typeof (cause as { code?: unknown }).code === 'string'
    ? cause
    : error;
}
