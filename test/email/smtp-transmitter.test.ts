// The email transmitter end to end: rococo-style plain JSON put on the RabbitMQ on :5672,
// an SMTP server in the test process (smtp-server), the transmitter in an application.
// Delivered emails (subject, body, sender, recipients); a server that refuses (5xx) or
// drops the connection, an unknown event, a missing variable: retried, dead-lettered with
// the reason, and reported to errorReportingEmail; a cut network recovered by a retry.
import { fileURLToPath } from 'node:url';
import { Application, createLogger, provide } from 'libretto';
import { EmailConfig, EmailTransmitter, type EmailTransmitterOptions } from 'libretto/email';
import { Broker, HEADERS, type RabbitMqBroker } from 'libretto/messaging';
import { TcpProxy } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RabbitMqBroker as Broker_,
  eventually,
  QueueInspector,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from '../messaging/rabbitmq.js';
import { SmtpSink } from './smtp-sink.js';

const config = fileURLToPath(new URL('./fixtures/smtp/config.json', import.meta.url));
const available = await rabbitAvailable();
const prefix = uniquePrefix('email-smtp');

let broker: RabbitMqBroker;
let inspector: QueueInspector;
let sink: SmtpSink;
let proxy: TcpProxy;
const apps: Application[] = [];

beforeAll(async () => {
  if (!available) return;
  sink = await SmtpSink.start();
  proxy = await TcpProxy.start('127.0.0.1', sink.port);
  broker = await Broker_.connect(testSettings({ queuePrefix: prefix }));
  inspector = await QueueInspector.open();
});
afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => {});
  await broker?.close();
  await inspector?.close();
  await proxy?.close();
  await sink?.close();
});

/** A transmitter on `queue` in an application of its own, sending through the proxy. */
async function transmitter(
  queue: string,
  options: EmailTransmitterOptions = {},
): Promise<EmailTransmitter> {
  inspector.track(
    `${prefix}${queue}`,
    `${prefix}${queue}.dead-letter`,
    `${prefix}${queue}.retry.50`,
    `${prefix}${queue}.retry.200`,
  );
  const service = new EmailTransmitter({
    config,
    queue,
    env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(proxy.port) },
    retries: 2,
    backoff: { initialDelay: 50, factor: 1 },
    timeout: 5000,
    ...options,
  });
  const app = new Application(service, {
    providers: [provide(Broker, { value: broker })],
    logger: createLogger({ level: 'silent' }),
  });
  apps.push(app);
  await app.start();
  return service;
}

/** Puts `message` on the queue as rococo's `send_message` does: the JSON alone, no properties. */
function publish(queue: string, message: unknown): Promise<void> {
  return inspector.publishRaw(`${prefix}${queue}`, JSON.stringify(message));
}

describe.skipIf(!available)('EmailTransmitter over SMTP', () => {
  it('turns a message on the queue into an email: rendered subject and body, sender, recipients', async () => {
    const service = await transmitter('welcome');
    await publish('welcome', {
      event: 'USER_CREATED',
      data: { recipient_name: 'Ada & <Bob>', confirmation_link: 'https://acme.test/c?t=1' },
      to_emails: ['ada@example.test', 'Bob <bob@example.test>'],
    });
    await eventually(() => sink.to('ada@example.test').length === 1);
    const [email] = sink.to('ada@example.test');
    expect(email?.from).toBe('system@acme.test');
    expect(email?.to).toEqual(['ada@example.test', 'bob@example.test']);
    expect(email?.headers.from).toBe('Acme <system@acme.test>');
    expect(email?.headers.to).toBe('ada@example.test, Bob <bob@example.test>');
    expect(email?.headers.subject).toBe('Welcome Ada & <Bob>');
    // The HTML part has the values escaped; the text part has them as they are.
    expect(email?.raw).toContain('<p>Hello Ada &amp; &lt;Bob&gt;,</p>');
    expect(email?.raw).toContain('<a href="https://acme.test/c?t=1">');
    expect(email?.raw).toContain(
      'Hello Ada & <Bob>, confirm your address: https://acme.test/c?t=1',
    );
    // The server has the email before the client has its answer: then the count moves.
    await eventually(() => service.stats.sent === 1);
    expect(service.stats).toEqual({ sent: 1, failed: 0, reported: 0 });
    expect(await inspector.count(`${prefix}welcome`)).toBe(0);
  });

  it.each([
    [
      'refuses the recipient (550)',
      'refuse',
      /SMTP server 127\.0\.0\.1:\d+ refused the USER_CREATED email/,
    ],
    [
      'drops the connection',
      'drop',
      /SMTP server 127\.0\.0\.1:\d+ did not take the USER_CREATED email/,
    ],
  ] as const)(
    'a server that %s: retried, then dead-lettered and reported',
    async (_, fault, reason) => {
      const queue = `fault-${fault}`;
      const victim = `${fault}@example.test`;
      sink[fault].add(victim);
      const service = await transmitter(queue);
      const message = {
        event: 'USER_CREATED',
        data: { recipient_name: 'Zelda', confirmation_link: 'x' },
        to_emails: [victim],
      };
      await publish(queue, message);
      const dead = await inspector.take(`${prefix}${queue}.dead-letter`);
      expect(JSON.parse(dead.content.toString())).toEqual(message);
      expect(String(dead.properties.headers?.[HEADERS.deadReason])).toMatch(reason);
      expect(dead.properties.headers?.[HEADERS.attempts]).toBe(3);
      await eventually(() => service.stats.reported === 1);
      expect(service.stats).toMatchObject({ sent: 0, failed: 3 });
      const report = sink.to('ops@acme.test').find((e) => e.raw.includes(`Recipients: ${victim}`));
      expect(report?.headers.subject).toBe('Email not sent: USER_CREATED');
      expect(report?.headers.from).toBe('Acme <system@acme.test>');
      expect(report?.raw).toMatch(reason);
      expect(report?.raw).toContain(`it is in the queue ${queue}.dead-letter`);
      // The data is not in the report.
      expect(report?.raw).not.toContain('Zelda');
      expect(sink.to(victim)).toEqual([]);
    },
  );

  it.each([
    [
      'an unknown event',
      { event: 'NOPE', data: {}, to_emails: ['x@example.test'] },
      'Unknown email event NOPE: config.json has no events.NOPE',
    ],
    [
      'a missing variable',
      { event: 'USER_CREATED', data: { recipient_name: 'Y' }, to_emails: ['y@example.test'] },
      'USER_CREATED template: no value for confirmation_link',
    ],
    [
      'a message without recipients',
      { event: 'USER_CREATED', data: {} },
      'Malformed email message: to_emails',
    ],
  ])('%s: retried, then dead-lettered and reported', async (what, message, reason) => {
    const queue = `bad-${what.replaceAll(' ', '-')}`;
    const service = await transmitter(queue);
    await publish(queue, message);
    const dead = await inspector.take(`${prefix}${queue}.dead-letter`);
    expect(String(dead.properties.headers?.[HEADERS.deadReason])).toContain(reason);
    await eventually(() => service.stats.reported === 1);
    expect(sink.to('ops@acme.test').some((e) => e.raw.includes(`Reason: ${reason}`))).toBe(true);
  });

  it('a network cut is retried: the email goes out once the server is back', async () => {
    const service = await transmitter('cut', {
      retries: 10,
      backoff: { initialDelay: 200, factor: 1 },
      timeout: 1000,
    });
    proxy.set('cut');
    try {
      await publish('cut', {
        event: 'USER_CREATED',
        data: { recipient_name: 'Cy', confirmation_link: 'l' },
        to_emails: ['cy@example.test'],
      });
      await eventually(() => service.stats.failed >= 1);
    } finally {
      proxy.set('pass');
    }
    await eventually(() => sink.to('cy@example.test').length === 1);
    await eventually(() => service.stats.sent === 1);
    expect(service.stats).toMatchObject({ sent: 1, reported: 0 });
  });

  it('reads the email: section: its queue, config and retries', async () => {
    inspector.track(`${prefix}from-section`, `${prefix}from-section.dead-letter`);
    const service = new EmailTransmitter({
      env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(proxy.port) },
    });
    const app = new Application(service, {
      providers: [
        provide(Broker, { value: broker }),
        provide(EmailConfig, { value: { config, queue: 'from-section', retries: 0 } }),
      ],
      logger: createLogger({ level: 'silent' }),
    });
    apps.push(app);
    await app.start();
    expect(service.queue).toBe('from-section');
    await publish('from-section', { event: 'NOPE', data: {}, to_emails: ['s@example.test'] });
    const dead = await inspector.take(`${prefix}from-section.dead-letter`);
    expect(dead.properties.headers?.[HEADERS.attempts]).toBe(1);
    await eventually(() => service.stats.reported === 1);
  });
});
