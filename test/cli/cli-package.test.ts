// The CLI and a missing optional peer as a user meets them: the built package installed in a
// project of its own, run with plain `node` (no tsx preloaded), and with no fastify installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'libretto-cli-package-'));
// Where the package is installed: beside its dependencies only (no peers, no tsx).
const lib = join(base, 'lib', 'node_modules');
const installed = join(lib, 'libretto');
const cliMain = join(installed, 'dist', 'cli', 'main.js');
// A user's project with tsx and zod; one without tsx.
const project = join(base, 'project');
const plain = join(base, 'plain');

const APP = `import { Application } from 'libretto';
import { HttpService, route } from 'libretto/http';
import * as z from 'zod';

const hello = route.get('/hello', { response: z.object({ greeting: z.string() }) }, () => ({
  greeting: 'hi',
}));
export const app = new Application(new HttpService({ routes: [hello] }));
`;

function link(name: string, into: string): void {
  mkdirSync(join(into, name, '..'), { recursive: true });
  symlinkSync(join(root, 'node_modules', name), join(into, name), 'dir');
}

beforeAll(() => {
  mkdirSync(installed, { recursive: true });
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      ...['-p', join(root, 'tsconfig.build.json'), '--outDir', join(installed, 'dist')],
      ...['--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'],
    ],
    { cwd: root, stdio: 'pipe' },
  );
  copyFileSync(join(root, 'package.json'), join(installed, 'package.json'));
  for (const dep of ['pino', 'yaml', 'zod']) link(dep, lib);

  for (const dir of [project, plain]) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'app.ts'), APP);
    symlinkSync(installed, join(dir, 'node_modules', 'libretto'), 'dir');
    link('zod', join(dir, 'node_modules'));
  }
  link('tsx', join(project, 'node_modules'));
  writeFileSync(join(project, 'config.yaml'), 'api:\n  docs_title: From config.yaml\n');
}, 120_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

const env = { ...process.env, npm_config_user_agent: '', LIBRETTO_CONFIG: '' };
const run = (cwd: string, args: string[]) =>
  spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });

describe('the installed CLI', () => {
  it('loads a .ts app with the project’s tsx and reads ./config.yaml without --config', () => {
    const result = run(project, [cliMain, 'openapi', '--app', 'app.ts', '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.info.title).toBe('From config.yaml');
    expect(Object.keys(document.paths)).toEqual(['/hello']);
  });

  // Node 22.18+ strips types itself: there the .ts app loads with no tsx at all.
  const strips =
    (process.features as { typescript?: unknown }).typescript !== undefined &&
    (process.features as { typescript?: unknown }).typescript !== false;
  it.skipIf(!strips)(
    'without tsx, on a Node.js that strips types, loads the .ts app itself',
    () => {
      const result = run(plain, [cliMain, 'openapi', '--app', 'app.ts', '--format', 'json']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it.skipIf(strips)('without tsx, says to install it in one line, exit 2', () => {
    const result = run(plain, [cliMain, 'openapi', '--app', 'app.ts']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'libretto openapi: app.ts is TypeScript: install tsx to load it (npm install --save-dev tsx), or pass the compiled .js file\n',
    );
  });
});

describe('a missing optional peer at a real load site', () => {
  it('an HttpService without fastify installed fails its start naming the package and the command', () => {
    writeFileSync(join(project, 'main.ts'), "import { app } from './app.ts';\nawait app.run();\n");
    const result = run(project, ['--import', 'tsx', 'main.ts']);
    expect(result.status).toBe(1);
    const failure = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.level === 60);
    expect(failure).toEqual(
      expect.objectContaining({
        msg: 'HttpService failed to start',
        why: 'HttpService needs fastify, which is not installed: run `npm install fastify`',
        code: 'PACKAGE_NOT_INSTALLED',
        hint: 'Install it: npm install fastify.',
      }),
    );
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  });
});
