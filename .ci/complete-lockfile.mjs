// Adds lockfile entries for optional platform packages (esbuild, rollup and biome binaries
// for other systems) that the registry here does not serve: npm then writes no entry for
// them, and `npm ci` refuses a lockfile with entries missing. With a minimal entry `npm ci`
// proceeds and skips each package that does not fit (or cannot be fetched), as npm always
// does for optional dependencies. Run after `npm install` changes the lockfile:
//   npm run lock:complete
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path === '' ? '' : `${path}/`}node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (packages[nested] !== undefined || packages[top] !== undefined) continue;
    packages[top] = {
      version: spec.replace(/^[\^~=]/, ''),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
// Same key order as npm writes, so a later `npm install` leaves the file unchanged.
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => a.localeCompare(b, 'en')),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
