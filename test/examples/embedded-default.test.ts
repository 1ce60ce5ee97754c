// `npm start` as a new user meets it: the example on the embedded default, in a project
// directory of its own. What it stores is there after a restart (in .data/postgres under the
// working directory); with data_dir :memory: it is gone. Each stop leaves no server behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../src/postgres/process-liveness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Resolved here: the project directory has no node_modules.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const project = mkdtempSync(join(tmpdir(), 'libretto-embedded-default-'));
chmodSync(project, 0o755); // as root the server runs as `nobody`, which must reach .data/
afterAll(() => rmSync(project, { recursive: true, force: true }));

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
}

/** The example as `npm start` runs it, from the project directory. */
async function start(env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      join(root, 'examples/http-api/main.ts'),
      '--config',
      join(root, 'examples/http-api/config.yaml'),
    ],
    {
      cwd: project,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
        LIBRETTO_API__PORT: '0',
        LIBRETTO_LOG_LEVEL: 'info',
        // The example's config names its migrations relative to the repository.
        LIBRETTO_MIGRATIONS__DIRECTORY: join(root, 'examples/http-api/migrations'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /"url":"([^"]+)","msg":"listening"/.exec(output)?.[1];
      if (found !== undefined) resolve(found);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${output}`)));
  });
  return { child, url };
}

async function stop({ child }: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the example on the embedded default (issue 15)', () => {
  it('keeps an entity across a restart, in .data/postgres of the working directory', async () => {
    const first = await start();
    const created = await post(`${first.url}/organizations`, { name: 'Kept', country: 'GB' });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { entityId: string } };
    const dataDir = join(project, '.data/postgres');
    const server = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(processAlive(server)).toBe(true);
    expect(await stop(first)).toBe(0);
    expect(processAlive(server)).toBe(false);

    const second = await start();
    try {
      const read = await fetch(`${second.url}/organizations/${data.entityId}`);
      expect(read.status).toBe(200);
      expect(((await read.json()) as { data: { name: string } }).data.name).toBe('Kept');
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 120_000);

  it('with data_dir :memory: the entity is gone after a restart', async () => {
    const memory = { LIBRETTO_POSTGRES__DATA_DIR: ':memory:' };
    const first = await start(memory);
    const created = await post(`${first.url}/organizations`, { name: 'Gone', country: 'GB' });
    const { data } = (await created.json()) as { data: { entityId: string } };
    expect(await stop(first)).toBe(0);

    const second = await start(memory);
    try {
      expect((await fetch(`${second.url}/organizations/${data.entityId}`)).status).toBe(404);
    } finally {
      expect(await stop(second)).toBe(0);
    }
    expect(existsSync(join(project, '.data/pglite'))).toBe(false);
  }, 120_000);
});
