// The README's "with a broker": the example API with RABBITMQ_HOST set announces each person
// it creates through its outbox, and the people worker (`npm run start:people-worker`, here
// a child process on a throwaway database) welcomes them, once each. RabbitMQ on :5672;
// skipped loudly when absent, a failure under CI=true.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  QueueInspector,
  rabbitAvailable,
  uniquePrefix,
} from '../messaging/rabbitmq.js';
import { startExample } from './example-app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const available = await rabbitAvailable();
const prefix = uniquePrefix('people-events');

let example: Awaited<ReturnType<typeof startExample>> | undefined;
let worker: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  if (!available) return;
  // Read when the example's module loads: messaging on, queues of this file only.
  process.env.RABBITMQ_HOST = '127.0.0.1';
  process.env.QUEUE_NAME_PREFIX = prefix;
  example = await startExample();
  worker = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      join(root, 'examples/people-worker/main.ts'),
      '--config',
      join(root, 'examples/people-worker/config.yaml'),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
        LIBRETTO_POSTGRES__DATA_DIR: ':memory:',
        LIBRETTO_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  worker.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  worker.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await eventually(() => output.includes('"msg":"consuming messages"'), 60_000);
});

afterAll(async () => {
  if (worker !== undefined && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker?.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await example?.stop();
  delete process.env.RABBITMQ_HOST;
  delete process.env.QUEUE_NAME_PREFIX;
  if (!available) return;
  const inspector = await QueueInspector.open();
  const names = [
    'people',
    'people.dead-letter',
    ...[1000, 2000, 4000, 8000, 16000].map((ms) => `people.retry.${ms}`),
  ];
  inspector.track(...names.map((n) => `${prefix}${n}`));
  await inspector.close();
});

describe.skipIf(!available)('the example API with a broker, and the people worker', () => {
  it('announces a created person through the outbox; the worker welcomes them once', async () => {
    const response = await fetch(new URL('/people', example?.base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }),
    });
    expect(response.status).toBe(201);
    await eventually(() => output.includes('Welcome, Ada!'), 30_000);
    // A person refused (the same email again) is never announced.
    const refused = await fetch(new URL('/people', example?.base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Augusta', lastName: 'King', email: 'ada@example.com' }),
    });
    expect(refused.status).toBe(409);
    const grace = await fetch(new URL('/people', example?.base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' }),
    });
    expect(grace.status).toBe(201);
    // Had Augusta's message been committed, it would have been before Grace's: claimed by the
    // relay in the same batch or an earlier one.
    await eventually(() => output.includes('Welcome, Grace!'), 30_000);
    expect(output.match(/Welcome, /g)).toHaveLength(2);
    expect(output).not.toContain('Welcome, Augusta!');
  });
});
