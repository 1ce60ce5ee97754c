import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/lifecycle-app.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'libretto-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  output: string;
  markers: string[];
}

/** Runs the fixture app as a real child process; `act` is called once it printed `ready`. */
function runApp(
  mode: string,
  options: {
    env?: Record<string, string>;
    args?: string[];
    /** Output to wait for before `act`; default `ready`. */
    actOn?: string;
    act?: (child: ChildProcess) => void;
  } = {},
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...(options.args ?? [])], {
      cwd: root,
      env: { ...process.env, FIXTURE_MODE: mode, LIBRETTO_LOG_LEVEL: 'info', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let acted = false;
    const trigger = options.actOn ?? 'ready\n';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!acted && output.includes(trigger)) {
        acted = true;
        options.act?.(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture ${mode} did not exit; output:\n${output}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const markers = output.split('\n').filter((l) => /^(start|starting|stop|ready)\b/.test(l));
      resolve({ code, output, markers });
    });
  });
}

describe('Application.run() as a process (APP-1, APP-2, APP-5)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops services in reverse order on ${signal} and exits 0`, async () => {
      const { code, markers } = await runApp('normal', { act: (c) => c.kill(signal) });
      expect(markers).toEqual([
        'start A',
        'start B',
        'start C',
        'ready',
        'stop C error=none',
        'stop B error=none',
        'stop A error=none',
      ]);
      expect(code).toBe(0);
    });
  }

  it('a failing start exits 1 naming the service and the cause', async () => {
    const { code, markers, output } = await runApp('fail-start');
    expect(code).toBe(1);
    expect(markers).toEqual([
      'start A',
      'stop A error=Service B failed to start: B cannot bind its port',
    ]);
    const failure = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.level === 60);
    expect(failure).toMatchObject({
      msg: 'B failed to start',
      service: 'B',
      why: 'B cannot bind its port',
      hint: expect.stringContaining('LIBRETTO_LOG_LEVEL=debug'),
      at: expect.stringContaining('lifecycle-app.ts'),
    });
  });

  it('with LIBRETTO_LOG_FORMAT=pretty a failing start is a short readable block', async () => {
    const { code, output } = await runApp('fail-start', { env: { LIBRETTO_LOG_FORMAT: 'pretty' } });
    expect(code).toBe(1);
    const block = output.slice(output.indexOf('FATAL'));
    expect(block).toMatch(/^FATAL B failed to start\n {2}why +B cannot bind its port\n {2}hint +/);
    expect(output).not.toContain('{"level"');
    expect(output).not.toContain('\\n');
  });

  it('a service that requests a stop with an error stops everything with it and exits 1', async () => {
    const { code, markers } = await runApp('crash');
    expect(markers.slice(-2)).toEqual([
      'stop B error=worker crashed',
      'stop A error=worker crashed',
    ]);
    expect(code).toBe(1);
  });

  it('an uncaught exception stops every service with that error and exits 1', async () => {
    const { code, markers } = await runApp('uncaught');
    expect(markers.slice(-2)).toEqual([
      'stop B error=bug in a timer callback',
      'stop A error=bug in a timer callback',
    ]);
    expect(code).toBe(1);
  });

  it('SIGTERM during start starts nothing more, stops what started, exits 0', async () => {
    const { code, markers } = await runApp('slow-start', {
      actOn: 'starting B\n',
      act: (c) => c.kill('SIGTERM'),
    });
    expect(markers).toEqual([
      'start A',
      'starting B',
      'start B',
      'stop B error=none',
      'stop A error=none',
    ]);
    expect(code).toBe(0);
  });

  it('exits 1 when shutdown exceeds its bound', async () => {
    const { code, output } = await runApp('hang-stop', {
      env: { FIXTURE_SHUTDOWN_TIMEOUT: '300' },
      act: (c) => c.kill('SIGTERM'),
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'Shutdown did not finish within 300 ms: B is still stopping; not stopped yet: A',
    );
  });

  it('a second SIGINT forces exit at once', async () => {
    const { code, output } = await runApp('hang-stop', {
      env: { FIXTURE_SHUTDOWN_TIMEOUT: '60000' },
      act: (c) => {
        c.kill('SIGINT');
        setTimeout(() => c.kill('SIGINT'), 300);
      },
    });
    expect(output).toContain('second signal: forcing exit');
    expect(code).toBe(130);
  });

  it('invalid configuration exits 1 listing each key path, with no secret in the output', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      ['db:', '  dsn: postgresql://app:Sup3rS3cret@db:99999/app', '  pool_size: many', ''].join(
        '\n',
      ),
    );
    const { code, output } = await runApp('bad-config', {
      args: ['--config', config],
      env: { LIBRETTO_DB__PASSWORD: 'EnvPassw0rd', LIBRETTO_DB__TIMEOUT: '5' },
    });
    expect(code).toBe(1);
    expect(output).toContain(
      `db.dsn (${config}:2): Invalid DSN \\"postgresql://app:***@db:99999/app\\": a port is out of range`,
    );
    expect(output).toContain(`db.pool_size (${config}:3): Invalid input: expected number`);
    expect(output).toContain('db.timeout (LIBRETTO_DB__TIMEOUT): unknown key');
    expect(output).not.toContain('Sup3rS3cret');
    expect(output).not.toContain('EnvPassw0rd');
  });
});
