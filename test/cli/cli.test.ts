import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `cli` without blocking: several calls can run side by side. */
function cliAsync(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('libretto CLI', () => {
  it('--help prints usage and exits 0', () => {
    const result = cli('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: libretto <command> [options]');
    expect(cli().stdout).toBe(result.stdout);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
    const result = cli('--version');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('openapi writes the document of an app module without starting it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'libretto-cli-')), 'openapi.json');
    const result = cli(
      'openapi',
      '--app',
      'examples/http-api/app.ts',
      '--config',
      'examples/http-api/config.yaml',
      '--out',
      out,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const document = JSON.parse(readFileSync(out, 'utf8'));
    expect(document.info.title).toBe('People API');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/me',
      '/organizations',
      '/organizations/{id}',
      '/people',
      '/people/{id}',
      '/people/{id}/history',
    ]);
    const validation = await new Validator().validate(document);
    expect(validation.valid).toBe(true);
    rmSync(dirname(out), { recursive: true, force: true });
  });

  /** A user mistake: one line on stderr, exit 2, no stack. */
  function mistake(args: string[], line: string | RegExp): void {
    const result = cli(...args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([expect.stringMatching(line), '']);
  }

  it('every mistake in a call is one readable line on stderr and exit 2', async () => {
    // Each call is a process of its own: started side by side, checked one by one.
    const cases: [string[], RegExp][] = [
      [
        ['frobnicate'],
        /^libretto: unknown command "frobnicate" \(commands: openapi, migrate, email-transmitter\)$/,
      ],
      [['--bogus'], /^libretto: unknown option --bogus/],
      [['openapi'], /^libretto openapi: --app <module> is required$/],
      [['openapi', '--bogus'], /^libretto openapi: unknown option --bogus$/],
      [['openapi', '--app'], /^libretto openapi: --app needs a value$/],
      [['openapi', '--app', 'x.ts', 'extra'], /^libretto openapi: unexpected argument "extra"$/],
      [
        ['openapi', '--app', 'x.ts', '--format', 'xml'],
        /^libretto openapi: --format must be yaml or json, not "xml"$/,
      ],
      [
        ['openapi', '--app', 'no/such/app.ts'],
        /^libretto openapi: cannot find module no\/such\/app\.ts \(no file at .*\)$/,
      ],
      [
        ['openapi', '--app', 'src/errors/index.ts'],
        /^libretto openapi: src\/errors\/index\.ts exports no Application with an HttpService/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => cliAsync(...args)));
    for (const [i, [, line]] of cases.entries()) {
      const result = results[i] as CliResult;
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')).toEqual([expect.stringMatching(line), '']);
    }
  }, 120_000);

  it('a bad --config file is one line naming the file (and line)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-cli-config-'));
    try {
      const app = 'examples/http-api/app.ts';
      mistake(
        ['openapi', '--app', app, '--config', join(dir, 'missing.yaml')],
        /^libretto openapi: .*missing\.yaml: config file not found$/,
      );
      writeFileSync(join(dir, 'broken.yaml'), 'api:\n  port: [\n');
      mistake(
        ['openapi', '--app', app, '--config', join(dir, 'broken.yaml')],
        /^libretto openapi: .*broken\.yaml:3:1: malformed YAML: /,
      );
      writeFileSync(join(dir, 'wrong.yaml'), 'api:\n  port: eighty\n  prot: 1\n');
      mistake(
        ['openapi', '--app', app, '--config', join(dir, 'wrong.yaml')],
        /^libretto openapi: invalid configuration: .*wrong\.yaml:2: api\.port: Invalid input: expected number, received string; .*wrong\.yaml:3: api\.prot: unknown key$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a module that fails while loading is one line with where it threw, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-cli-module-'));
    try {
      writeFileSync(join(dir, 'throws.ts'), "throw new Error('no DATABASE_URL set');\n");
      writeFileSync(join(dir, 'imports.ts'), "import 'libretto-no-such-package';\nexport {};\n");
      const throws = cli('openapi', '--app', join(dir, 'throws.ts'));
      expect(throws.status).toBe(1);
      expect(throws.stderr).toMatch(
        /^libretto openapi: .*throws\.ts failed to load: no DATABASE_URL set \(at .*throws\.ts:1:7\)\n$/,
      );
      const imports = cli('openapi', '--app', join(dir, 'imports.ts'));
      expect(imports.status).toBe(2);
      expect(imports.stderr).toMatch(
        /^libretto openapi: .*imports\.ts cannot be loaded: Cannot find (module|package) 'libretto-no-such-package'\n$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help says where configuration and TypeScript modules come from', () => {
    const help = cli('--help').stdout;
    expect(help).toContain('else ./config.yaml');
    expect(help).toContain('loaded with tsx');
    expect(cli('openapi', '--help').stdout).toContain('else ./config.yaml when it exists');
  });
});
