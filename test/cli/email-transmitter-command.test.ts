// `libretto email-transmitter` as a process: RabbitMQ and the queue from the seed's
// variables (through --env-files), an SMTP server in the test process; a message sent,
// then SIGTERM stops it cleanly (exit 0). A broken config.json: exit 2 with the paths.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../email/smtp-sink.js';
import {
  eventually,
  QueueInspector,
  RABBIT_HOST,
  RABBIT_PORT,
  rabbitAvailable,
  uniquePrefix,
} from '../messaging/rabbitmq.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = fileURLToPath(new URL('../email/fixtures/smtp/config.json', import.meta.url));
const args = ['--import', 'tsx', 'src/cli/main.ts', 'email-transmitter'];
const dir = mkdtempSync(join(tmpdir(), 'libretto-email-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('libretto email-transmitter', () => {
  it('--help shows the usage', () => {
    const result = spawnSync(process.execPath, [...args, '--help'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: libretto email-transmitter [options]');
  });

  it('a broken config.json exits 2 before connecting, listing every problem with its path', () => {
    const broken = join(dir, 'config.json');
    writeFileSync(
      broken,
      JSON.stringify({
        configurations: [{ provider: 'mailjet', sourceEmail: 'x', errorReportingEmail: 'a@b.c' }],
        events: { USER_CREATED: { templateName: 'Welcome' } },
      }),
    );
    const result = spawnSync(process.execPath, [...args, '--config', broken], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `libretto email-transmitter: invalid ${broken}: configurations[0].sourceEmail: must be an email address (Name <a@b.c> or a@b.c); events.USER_CREATED.subject: Invalid input: expected string, received undefined\n`,
    );
  });
});

const available = await rabbitAvailable();

describe.skipIf(!available)('libretto email-transmitter as a process', () => {
  const prefix = uniquePrefix('email-cli');
  let sink: SmtpSink;
  let inspector: QueueInspector;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    inspector = await QueueInspector.open();
    inspector.track(`${prefix}emails`, `${prefix}emails.dead-letter`);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await inspector?.close();
    await sink?.close();
  });

  it('sends the emails of the queue named by the seed variables and stops on SIGTERM', async () => {
    const envFile = join(dir, '.env');
    writeFileSync(
      envFile,
      [
        `RABBITMQ_HOST=${RABBIT_HOST}`,
        `RABBITMQ_PORT=${RABBIT_PORT}`,
        'RABBITMQ_USER=guest',
        'RABBITMQ_PASSWORD=guest',
        'RABBITMQ_VIRTUAL_HOST=/',
        `QUEUE_NAME_PREFIX=${prefix}`,
        'EmailServiceProcessor_QUEUE_NAME=emails',
        'SMTP_HOST=127.0.0.1',
        `SMTP_PORT=${sink.port}`,
      ].join('\n'),
    );
    const proc = spawn(process.execPath, [...args, '--config', config, '--env-files', envFile], {
      cwd: root,
      env: { ...process.env, LIBRETTO_LOG_FORMAT: 'json' },
    });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    proc.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    await eventually(() => out.includes('email transmitter consuming'), 20_000);
    await inspector.publishRaw(
      `${prefix}emails`,
      JSON.stringify({
        event: 'USER_CREATED',
        data: { recipient_name: 'Ada', confirmation_link: 'https://x.test' },
        to_emails: ['ada@example.test'],
      }),
    );
    await eventually(() => sink.to('ada@example.test').length === 1);
    expect(sink.to('ada@example.test')[0]?.headers.subject).toBe('Welcome Ada');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('signal received');
  });
});
