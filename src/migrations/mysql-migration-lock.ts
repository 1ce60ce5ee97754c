import { createHash } from 'node:crypto';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { lockNotFree } from './migration-errors.js';

/**
 * The name of the MySQL user lock of a migrations table. User locks are server-wide, so the
 * database is part of the name; MySQL takes 64 characters at most (longer: a hash).
 */
export function mysqlMigrationLockName(database: string, table: string): string {
  const name = `libretto_migrations:${database}.${table}`;
  return name.length <= 64
    ? name
    : `libretto_migrations:${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

/** How long one `GET_LOCK` waits before the runner checks its own deadline again (s). */
const WAIT_STEP_S = 1;

/**
 * Takes the lock with `GET_LOCK(name, timeout)` on the session of `db` (one connection),
 * waiting up to `timeoutMs` for another runner, a second at a time; then
 * `MIGRATION_LOCK_TIMEOUT` naming the holder (its connection id, user and host). Held by the
 * session: a runner that dies frees it with its connection.
 */
export async function takeMysqlMigrationLock(
  db: DatabaseAdapter,
  name: string,
  database: string,
  timeoutMs: number,
  onWait: (holder: string | undefined) => void,
): Promise<void> {
  const started = performance.now();
  if ((await getLock(db, name, 0)) === 1) return;
  onWait(await lockHolder(db, name));
  for (;;) {
    const left = timeoutMs - (performance.now() - started);
    if (left <= 0) throw lockNotFree(database, timeoutMs, await lockHolder(db, name));
    if ((await getLock(db, name, Math.min(WAIT_STEP_S, left / 1000))) === 1) return;
  }
}

async function getLock(db: DatabaseAdapter, name: string, seconds: number): Promise<number> {
  // The timeout as a literal: a statement the server prepares once per value is no gain here.
  const wait = Math.max(0, Math.round(seconds * 1000) / 1000);
  return Number(await db.fetchVal(`SELECT GET_LOCK(?, ${wait})`, [name]));
}

/** Frees the lock (the session ending frees it too). */
export async function releaseMysqlMigrationLock(db: DatabaseAdapter, name: string): Promise<void> {
  await db.execute('DO RELEASE_LOCK(?)', [name]);
}

/** `connection 725 (deploy@10.0.0.5:55082)`, or undefined when the lock is free again. */
async function lockHolder(db: DatabaseAdapter, name: string): Promise<string | undefined> {
  const row = await db.fetchOne<{
    id: number | string | null;
    user: string | null;
    host: string | null;
  }>(
    'SELECT l.id, p.user, p.host FROM (SELECT IS_USED_LOCK(?) AS id) l ' +
      'LEFT JOIN information_schema.PROCESSLIST p ON p.ID = l.id',
    [name],
  );
  if (row === undefined || row.id === null) return undefined;
  const who = row.user === null ? '' : ` (${row.user}@${row.host ?? 'unknown host'})`;
  return `connection ${row.id}${who}`;
}
