// An empty PGlite database as a dump, for tests that need a fresh PGlite and not its creation:
// creating one runs initdb in WebAssembly (about 5 s of CPU here), loading a dump about 1.5 s.
// Vitest runs each test file in a process of its own, so the dump is kept on disk, once per
// machine and PGlite version, and written under another name first, then renamed: workers that
// make it at the same time never read half of one.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const version = (
  JSON.parse(
    readFileSync(
      new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url),
      'utf8',
    ),
  ) as { version: string }
).version;
const file = join(tmpdir(), `libretto-tests-empty-pglite-${version}.tar`);

let dump: Promise<Blob> | undefined;

/** The empty PGlite dump (`PglitePool.create({ loadDataDir: await emptyPglite() })`). */
export function emptyPglite(): Promise<Blob> {
  dump ??= (async () => {
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const made = await PGlite.create();
    try {
      const blob = await made.dumpDataDir('none');
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
      try {
        renameSync(partial, file);
      } catch {
        rmSync(partial, { force: true });
      }
      return blob;
    } finally {
      await made.close();
    }
  })();
  return dump;
}
