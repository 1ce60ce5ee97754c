// The package as npm would publish it and a user's project would install it: the repository
// copied (so `dist/` in the checkout, stale or absent, plays no part), built, packed with
// `npm pack`, and unpacked into node_modules/libretto of a scratch project.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Checkout-only folders: build output, caches, data and dependencies are not the source. */
const NOT_COPIED = new Set([
  '.git',
  'node_modules',
  'dist',
  'coverage',
  'test-artifacts',
  '.ci/.cache',
  '.data',
]);

export interface PackedPackage {
  /** Paths in the tarball, relative to the package root (`dist/index.js`, `LICENSE`, …). */
  readonly files: readonly string[];
  /** The unpacked package: `<project>/node_modules/libretto`. */
  readonly installed: string;
  /** A scratch project whose node_modules holds the unpacked package and the repository's dependencies. */
  readonly project: string;
  /** Removes every file made here. */
  remove(): void;
}

// npm reads its configuration from npm_* variables too; those of the `npm test` that runs
// this suite (a dry run, a different prefix) must not leak into the pack.
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
}

export function packPackage(): PackedPackage {
  const scratch = mkdtempSync(join(tmpdir(), 'libretto-package-'));
  // As root the embedded server of the README's blocks runs as `nobody`: it must reach .data/.
  chmodSync(scratch, 0o755);
  const checkout = join(scratch, 'checkout');
  cpSync(root, checkout, {
    recursive: true,
    filter: (source) => !NOT_COPIED.has(relative(root, source).replaceAll('\\', '/')),
  });
  // The build needs the dependencies' types; npm pack never includes node_modules here
  // (no bundled dependencies).
  symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: checkout, stdio: 'pipe' },
  );
  // --ignore-scripts: the build above is the only one; no lifecycle script runs here.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], {
      cwd: checkout,
      env: npmEnv(),
      encoding: 'utf8',
    }),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = packed[0];
  if (tarball === undefined) throw new Error(`npm pack in ${checkout} reported no tarball`);

  const project = join(scratch, 'project');
  const installed = join(project, 'node_modules', 'libretto');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
  execFileSync('tar', [
    '-xzf',
    join(scratch, tarball.filename),
    '-C',
    installed,
    '--strip-components=1',
  ]);
  // The user's project has libretto's dependencies and peers installed: here, the repository's.
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === 'libretto' || name.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', name), join(project, 'node_modules', name), 'dir');
  }
  return {
    files: tarball.files.map((f) => f.path).sort(),
    installed,
    project,
    remove: () => rmSync(scratch, { recursive: true, force: true }),
  };
}
