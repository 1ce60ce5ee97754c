// What a subpath import loads, checked in a fresh Node process: a module-load hook records
// every URL the process loads while it imports the subpath (from the sources, through tsx).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Runs on the loader thread: appends each loaded URL to the file named in `initialize`.
const HOOKS = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) {
  appendFileSync(out, url + '\\n');
  return next(url, context);
}`;

/** Every URL loaded while importing `entry` (a path under the repository, or a package name). */
function loadedBy(entry: string): string[] {
  const out = join(mkdtempSync(join(tmpdir(), 'libretto-modules-')), 'loaded.txt');
  const register = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), { data: { out: ${JSON.stringify(out)} } });`;
  const registerUrl = `data:text/javascript,${encodeURIComponent(register)}`;
  const url = entry.startsWith('src/') ? pathToFileURL(join(root, entry)).href : entry;
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      registerUrl,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(url)});`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

const fromHa = (url: string) => url.includes('/src/postgres/ha/');
const fromFastify = (url: string) => /\/node_modules\/(fastify|@fastify)\//.test(url);

describe('module loading', () => {
  it('libretto/postgres loads neither postgres/ha nor fastify', () => {
    const loaded = loadedBy('src/postgres/index.ts');
    expect(loaded.some((u) => u.endsWith('/src/postgres/database.ts'))).toBe(true);
    expect(loaded.filter(fromHa)).toEqual([]);
    expect(loaded.filter(fromFastify)).toEqual([]);
  });

  it('libretto/postgres/ha loads the HA code, and not fastify', () => {
    const loaded = loadedBy('src/postgres/ha/index.ts');
    expect(loaded.some((u) => u.endsWith('/src/postgres/ha/ha-backend.ts'))).toBe(true);
    expect(loaded.filter(fromFastify)).toEqual([]);
  });

  it('libretto/mysql loads no driver (mysql2 is loaded when a pool is created), nor fastify', () => {
    const loaded = loadedBy('src/mysql/index.ts');
    expect(loaded.some((u) => u.endsWith('/src/mysql/mysql-service.ts'))).toBe(true);
    expect(loaded.filter((u) => /\/node_modules\/(mysql2|pg)\//.test(u))).toEqual([]);
    expect(loaded.filter(fromFastify)).toEqual([]);
  });

  it('libretto/postgres loads nothing of libretto/mysql', () => {
    expect(loadedBy('src/postgres/index.ts').filter((u) => u.includes('/src/mysql/'))).toEqual([]);
  });

  it('the recorder sees fastify when it is loaded (the checks above can fail)', () => {
    const loaded = loadedBy('fastify');
    expect(loaded.filter(fromFastify).length).toBeGreaterThan(0);
  });
});
