// What a failed start says for real failures: a port in use, a database that is not there,
// invalid configuration. Real components; only the text is checked.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigService, configSection, describeStartupFailure } from 'libretto';
import { HttpService } from 'libretto/http';
import { PostgresService } from 'libretto/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';

const dir = mkdtempSync(join(tmpdir(), 'libretto-startup-failure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startFailure(app: Application) {
  const error = await app.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  return describeStartupFailure(error);
}

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const quiet = { logger: { level: 'silent' as const } };

describe('a failed start, described', () => {
  it('a port in use names the port and the setting', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const failure = await startFailure(
        new Application(new HttpService({ port, address: '127.0.0.1' }), quiet),
      );
      expect(failure).toMatchObject({
        service: 'HttpService',
        code: 'EADDRINUSE',
        why: expect.stringContaining(`${port}`),
        hint: `Another process listens on port ${port}: stop it, or choose another port (api.port in the config file, or LIBRETTO_API__PORT).`,
      });
    } finally {
      holder.close();
    }
  });

  it('a database that is not there says where it looked and what to check', async () => {
    const port = await closedPort();
    const failure = await startFailure(
      new Application(
        new PostgresService({ host: '127.0.0.1', port, user: 'app', database: 'app' }),
        quiet,
      ),
    );
    expect(failure).toMatchObject({
      service: 'PostgresService',
      code: 'DATABASE_CONNECT_FAILED',
      why: `Cannot connect to database "app" at 127.0.0.1:${port} as user "app": connection refused (ECONNREFUSED)`,
      hint: expect.stringMatching(
        new RegExp(`^Is PostgreSQL running at 127\\.0\\.0\\.1:${port}\\?`),
      ),
    });
  });

  it('invalid configuration lists every issue, before any service started', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'worker:\n  interval_ms: soon\n');
    const Worker = configSection('worker', z.strictObject({ interval_ms: z.number() }));
    const Mail = configSection('mail', z.strictObject({ host: z.string() }));
    const failure = await startFailure(
      new Application(new ConfigService({ path, env: {}, sections: [Worker, Mail] }), quiet),
    );
    expect(failure).toEqual({
      why: [
        'Invalid configuration:',
        `  - worker.interval_ms (${path}:2): Invalid input: expected number, received string`,
        `  - mail (${path}): section is missing (needs host)`,
      ].join('\n'),
      code: 'CONFIG_INVALID',
      hint: 'Fix what is listed above, in the config file or the environment variables named.',
    });
  });
});
