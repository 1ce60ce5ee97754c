import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { lockNotFree } from './migration-errors.js';

/** A PostgreSQL session-level advisory lock that admits one migration runner at a time. */
export interface MigrationLockKey {
  readonly classId: number;
  readonly objectId: number;
}

/** 'LIBR': the first half of every Libretto migration lock's key. */
const CLASS_ID = 0x4c494252;

/** The lock of a migrations table: the second half of the key is a hash of its name. */
export function migrationLockKey(table: string): MigrationLockKey {
  let hash = 0x811c9dc5;
  for (let i = 0; i < table.length; i++) {
    hash ^= table.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return { classId: CLASS_ID, objectId: hash & 0x7fffffff };
}

const POLL_MS = 200;

/**
 * Takes the lock on the session of `db` (one connection), waiting up to `timeoutMs` for
 * another runner to finish; then `MIGRATION_LOCK_TIMEOUT` naming the holder (its pid and
 * address). Session-level: a runner that dies frees it with its connection.
 */
export async function takeMigrationLock(
  db: DatabaseAdapter,
  key: MigrationLockKey,
  timeoutMs: number,
  onWait: (holder: string | undefined) => void,
): Promise<void> {
  const started = performance.now();
  let told = false;
  for (;;) {
    const locked = await db.fetchVal<boolean>('SELECT pg_try_advisory_lock($1, $2)', [
      key.classId,
      key.objectId,
    ]);
    if (locked === true) return;
    const waited = performance.now() - started;
    if (!told || waited >= timeoutMs) {
      const holder = await lockHolder(db, key);
      if (waited >= timeoutMs) {
        const database = (await db.fetchVal<string>('SELECT current_database()')) ?? 'the database';
        throw lockNotFree(database, timeoutMs, holder);
      }
      onWait(holder);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, timeoutMs - waited)));
  }
}

/** Frees the lock (the session ending frees it too). */
export async function releaseMigrationLock(
  db: DatabaseAdapter,
  key: MigrationLockKey,
): Promise<void> {
  await db.execute('SELECT pg_advisory_unlock($1, $2)', [key.classId, key.objectId]);
}

/** `pid 123 (app, 10.0.0.5) since 2026-12-02T07:00:00.000Z`, or undefined when gone. */
async function lockHolder(db: DatabaseAdapter, key: MigrationLockKey): Promise<string | undefined> {
  const row = await db.fetchOne<{
    pid: number;
    application_name: string | null;
    client_addr: string | null;
    backend_start: Date | string | null;
  }>(
    'SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start ' +
      'FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid ' +
      "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid " +
      'AND l.objid = $2::bigint::oid AND l.objsubid = 2 LIMIT 1',
    [key.classId, key.objectId],
  );
  if (row === undefined) return undefined;
  const who = [row.application_name, row.client_addr].filter((x) => x !== null && x !== '');
  const since =
    row.backend_start === null ? '' : ` since ${new Date(row.backend_start).toISOString()}`;
  return `pid ${row.pid}${who.length > 0 ? ` (${who.join(', ')})` : ''}${since}`;
}
