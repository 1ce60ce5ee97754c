import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

  it('an unknown command exits 2 naming it', () => {
    const result = cli('frobnicate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('libretto: unknown command "frobnicate"');
  });
});
