// `npm start`: runs an example from its TypeScript sources without a build step, and starts
// fast. esbuild bundles the example with the framework's sources (from src/, as the
// tsconfig's paths map `libretto`; packages stay external) into one file under
// node_modules/.cache, rebuilt only when a source changed; this process then imports it:
// one module to load instead of some two hundred, each through a TypeScript loader hook
// (what `node --import tsx` costs; bench/startup measures both). Stack traces point at the
// sources (source maps).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = resolve(process.argv[2] ?? '');
// The rest of the command line is the example's (`--config …`).
process.argv.splice(1, 2, entry);
const key = createHash('sha256').update(entry).digest('hex').slice(0, 12);
const dir = join(root, 'node_modules', '.cache', 'libretto-examples', key);
const outfile = join(dir, 'main.mjs');
const inputsFile = join(dir, 'inputs.json');

/** Whether the bundle is newer than every source it was built from. */
function fresh() {
  try {
    const built = statSync(outfile).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return inputs.every((file) => statSync(join(root, file)).mtimeMs < built);
  } catch {
    return false;
  }
}

if (!fresh()) {
  const { buildSync } = await import('esbuild');
  const result = buildSync({
    entryPoints: [entry],
    outfile,
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    tsconfig: join(root, 'tsconfig.json'),
    sourcemap: 'inline',
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs)));
}
process.setSourceMapsEnabled(true);
await import(pathToFileURL(outfile).href);
