import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunAs } from '../postgres/unprivileged-user.js';
import { onProcessExit } from './process-cleanup.js';

/** A temporary directory owned by the server's user, removed on `remove()` or at exit. */
export class WorkDir {
  readonly path: string;
  readonly #unregister: () => void;

  constructor(runAs: RunAs | undefined) {
    this.path = mkdtempSync(join(tmpdir(), 'libretto-pg-'));
    if (runAs !== undefined) chownSync(this.path, runAs.uid, runAs.gid);
    this.#unregister = onProcessExit(() => this.remove());
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
    this.#unregister();
  }
}
