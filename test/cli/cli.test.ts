import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

  it('openapi refuses bad arguments with exit code 2', () => {
    expect(cli('openapi').status).toBe(2);
    expect(cli('openapi').stderr).toContain('--app is required');
    expect(cli('openapi', '--app', 'x.ts', '--format', 'xml').stderr).toContain(
      '--format must be yaml or json',
    );
    expect(cli('openapi', '--bogus').status).toBe(2);
  });

  it('openapi says so when the module exports no HTTP service', () => {
    const result = cli('openapi', '--app', 'src/errors/index.ts');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('exports no Application with an HttpService');
  });

  it('an unknown command exits 2 naming it', () => {
    const result = cli('frobnicate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('libretto: unknown command "frobnicate"');
  });
});
