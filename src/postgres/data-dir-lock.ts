import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { processAlive } from './process-liveness.js';

/** Data directories this process holds, so a pid reused after a restart is not taken for us. */
const held = new Set<string>();

/**
 * The claim of one process on an embedded data directory: `libretto.lock` in it, holding the
 * process id. A second app on the directory fails with `EMBEDDED_DATA_DIR_IN_USE`; a lock
 * whose process is gone (killed, crashed) is taken over.
 */
export class DataDirLock {
  readonly #file: string;

  private constructor(
    readonly dataDir: string,
    /** The process that held the directory before, when it ended without releasing it. */
    readonly previousOwner: number | undefined,
  ) {
    this.#file = join(dataDir, 'libretto.lock');
  }

  /** Claims `dataDir` for this process. */
  static acquire(dataDir: string): DataDirLock {
    const file = join(dataDir, 'libretto.lock');
    let previous: number | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
        held.add(dataDir);
        return new DataDirLock(dataDir, previous);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      const ours = owner === process.pid && !held.has(dataDir); // a pid reused after a restart
      if (Number.isInteger(owner) && processAlive(owner) && !ours) {
        throw new DependencyUnavailableError(
          `The embedded PostgreSQL data directory ${dataDir} is in use by process ${owner}${owner === process.pid ? ' (this one)' : ''}: stop that app first, or give this one another directory (postgres.data_dir, LIBRETTO_POSTGRES__DATA_DIR)`,
          { code: 'EMBEDDED_DATA_DIR_IN_USE', details: [{ dataDir, pid: owner }] },
        );
      }
      previous = Number.isInteger(owner) ? owner : undefined;
      rmSync(file, { force: true }); // left by a process that is gone: taken over
    }
    throw new DependencyUnavailableError(
      `The embedded PostgreSQL data directory ${dataDir} was claimed by another process at the same time: start one app at a time on it`,
      { code: 'EMBEDDED_DATA_DIR_IN_USE', details: [{ dataDir }] },
    );
  }

  /** Gives the directory up. */
  release(): void {
    held.delete(this.dataDir);
    rmSync(this.#file, { force: true });
  }
}
