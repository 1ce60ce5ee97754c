import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresBinaries } from './postgres-binaries.js';

/**
 * Where the template of throwaway data directories lives: one per binaries (path and
 * build) and user, in the system's temporary directory.
 */
export function templatePath(binaries: PostgresBinaries): string {
  const built = statSync(binaries.postgres).mtimeMs;
  const key = createHash('sha256').update(`${binaries.postgres}\0${built}`).digest('hex');
  return join(tmpdir(), `libretto-pg-template-${process.getuid?.() ?? 0}-${key.slice(0, 12)}`);
}

/**
 * Ours, and writable by no one else: a template planted by another user (its configuration
 * could run commands) is never copied.
 */
function trusted(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    const uid = process.getuid?.();
    return (
      stat.isDirectory() &&
      (uid === undefined || stat.uid === uid) &&
      (stat.mode & 0o022) === 0 &&
      statSync(join(dir, 'data', 'PG_VERSION')).isFile()
    );
  } catch {
    return false;
  }
}

function copy(from: string, to: string): Promise<void> {
  // `cp -a` keeps the owner (the server's user, when run as root) and the modes.
  return new Promise((resolve, reject) =>
    execFile('cp', ['-a', from, to], (error) => (error === null ? resolve() : reject(error))),
  );
}

/**
 * Fills `dest` (not existing yet) with a fresh data directory for a throwaway server: a copy
 * of a template made once with `init` — a tenth of a second instead of initdb's seconds.
 * Where copying cannot work (no `cp`, Windows), `init` runs on `dest` itself.
 */
export async function freshDataDir(
  binaries: PostgresBinaries,
  dest: string,
  init: (dir: string) => Promise<void>,
): Promise<void> {
  if (process.platform === 'win32') return init(dest);
  const template = templatePath(binaries);
  if (!trusted(template)) {
    const temp = `${template}.${process.pid}`;
    rmSync(temp, { recursive: true, force: true });
    // Others may pass through (the server's user, under root), not list or write.
    mkdirSync(temp, { mode: 0o711 });
    try {
      await init(join(temp, 'data'));
      rmSync(template, { recursive: true, force: true }); // an untrusted one
      renameSync(temp, template);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      if (!trusted(template)) throw error; // else another process made it meanwhile
    }
  }
  try {
    await copy(join(template, 'data'), dest);
  } catch {
    rmSync(dest, { recursive: true, force: true });
    await init(dest);
  }
}
