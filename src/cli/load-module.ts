import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { maskSecrets } from '../internal/redaction.js';
import { CliError } from './cli-error.js';

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * Where tsx is installed: in the project (the working directory), else beside libretto
 * (a global install). Its main entry registers its ESM and CommonJS hooks, as
 * `node --import tsx` does; registering twice (already under tsx) is harmless.
 */
function findTsx(): string | undefined {
  for (const base of [join(process.cwd(), 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(base).resolve('tsx');
    } catch {
      // not installed there
    }
  }
  return undefined;
}

let tsxRegistered = false;

/** Makes `.ts` modules importable (tsx), once; a CliError naming `file` when tsx is missing. */
export async function registerTypeScript(file: string): Promise<void> {
  if (tsxRegistered) return;
  const tsx = findTsx();
  if (tsx === undefined) {
    // Node 22.18+ strips types itself; older versions need tsx.
    if ((process.features as { typescript?: unknown }).typescript) return;
    throw new CliError(
      `${file} is TypeScript: install tsx to load it (npm install --save-dev tsx), or pass the compiled .js file`,
    );
  }
  await import(pathToFileURL(tsx).href);
  tsxRegistered = true;
}

/** The first frame of a stack in the user's code (not Node's, not a package's): where it threw. */
function origin(error: Error): string | undefined {
  const frame = error.stack
    ?.split('\n')
    .find((l) => /^\s+at /.test(l) && !/node:internal|\(node:|node_modules/.test(l));
  // `at fn (file:line:col)` or `at file:line:col`: the place is what helps.
  return frame?.trim().replace(/^at (?:.* \((.*)\)|(.*))$/, '$1$2');
}

/** A message's first line; with the next one when it only announces it ("…with 1 error:"). */
function firstLine(message: string): string {
  const [first = '', second] = message.split('\n').filter((l) => l.trim() !== '');
  return maskSecrets(
    first.endsWith(':') && second !== undefined ? `${first} ${second.trim()}` : first,
  );
}

/**
 * Imports the module at `path` (relative to the working directory), TypeScript included.
 * A missing file or package is a `CliError` (exit 2); the module's own failure while loading
 * is one too (exit 1), with where it threw, but no stack.
 */
export async function loadModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new CliError(`cannot find module ${path} (no file at ${file})`);
  }
  if (TYPESCRIPT.test(file)) await registerTypeScript(path);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof Error))
      throw new CliError(`${path} failed to load: ${String(error)}`, 1);
    const code = (error as NodeJS.ErrnoException).code;
    const first = firstLine(error.message);
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      // An import inside the module: a package not installed, or a wrong relative path.
      throw new CliError(`${path} cannot be loaded: ${first.replace(/ imported from .*$/, '')}`);
    }
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new CliError(`${path} cannot be loaded: Node does not know its file extension`);
    }
    const at = origin(error);
    const where = at === undefined ? '' : ` (at ${at.replace(process.cwd(), '.')})`;
    throw new CliError(`${path} failed to load: ${first}${where}`, 1);
  }
}
