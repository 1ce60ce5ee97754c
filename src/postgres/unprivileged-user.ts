import { readFileSync } from 'node:fs';
import { DependencyUnavailableError } from '../errors/application-errors.js';

/** The user a server process runs as: PostgreSQL refuses to run as root. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * `undefined` when not root (run as ourselves); as root, the user named by
 * `LIBRETTO_PG_USER`, else `nobody`.
 */
export function unprivilegedUser(env: NodeJS.ProcessEnv = process.env): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = env.LIBRETTO_PG_USER ?? 'nobody';
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new DependencyUnavailableError(
    `Running as root and there is no user "${name}" to run PostgreSQL as`,
    { code: 'POSTGRES_NO_UNPRIVILEGED_USER' },
  );
}
