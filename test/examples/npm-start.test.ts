// `npm start` as a user runs it: a signal to the npm process stops the example API itself
// (the script execs node, so no shell in between swallows the signal).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (issue 13.6)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the npm process stops the server and exits 0',
    async (signal) => {
      const npm = spawn('npm', ['start'], {
        cwd: root,
        env: {
          ...process.env,
          LIBRETTO_API__PORT: '0',
          LIBRETTO_POSTGRES__DATA_DIR: ':memory:',
          LIBRETTO_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const started = new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('"msg":"application started"')) resolve();
        };
        npm.stdout.on('data', onData);
        npm.stderr.on('data', onData);
      });
      const killer = setTimeout(() => npm.kill('SIGKILL'), 90_000);
      const exited = new Promise<number | null>((resolve) => npm.on('exit', resolve));
      await started;
      const url = /"url":"([^"]+)","msg":"listening"/.exec(output)?.[1] as string;
      const appPid = Number(/"pid":(\d+)/.exec(output)?.[1]);
      expect(appPid).not.toBe(npm.pid);
      expect((await fetch(`${url}/health`)).status).toBe(200);

      process.kill(npm.pid as number, signal);
      const code = await exited;
      clearTimeout(killer);
      expect(code).toBe(0);
      expect(output).toContain(`"signal":"${signal}","msg":"signal received"`);
      expect(output).toContain('"msg":"application stopped"');
      expect(isRunning(appPid)).toBe(false);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    },
    120_000,
  );
});
