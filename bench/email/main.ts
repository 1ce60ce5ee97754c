// Email transmitter benchmark: emails/s over SMTP with a prefetch of 10, on the RabbitMQ on
// 127.0.0.1:5672 and an SMTP server in this process (smtp-server, no TLS, no auth).
//  1. Reference: bare nodemailer, a pool of 10 connections, 10 sends in flight at a time.
//  2. The transmitter: N rococo-style plain JSON messages waiting in the queue, then an
//     EmailTransmitter (prefetch 10, SMTP pool of 10) started; from its start to the N-th
//     email received by the server (consume, render subject and HTML/text templates, send,
//     ack).
//   npm run bench:email   BENCH_EMAILS (2000), BENCH_PREFETCH (10), BENCH_ROUNDS (3: the median)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Application, createLogger, provide } from 'libretto';
import { EmailTransmitter } from 'libretto/email';
import { Broker, RabbitMqBroker, resolveRabbitMqSettings } from 'libretto/messaging';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

const N = Number(process.env.BENCH_EMAILS ?? 2000);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PREFIX = `bench-email.${randomUUID().slice(0, 8)}.`;

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

if (!(await reachable(5672))) {
  console.error('RabbitMQ on 127.0.0.1:5672 is not reachable: nothing to measure');
  process.exit(1);
}

let received = 0;
let onReceived: (() => void) | undefined;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      received++;
      onReceived?.();
      callback();
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpPort = (smtp.server.address() as AddressInfo).port;

/** Resolves once the server has received `total` emails in all. */
function receivedAll(total: number): Promise<void> {
  return new Promise((resolve) => {
    onReceived = () => {
      if (received >= total) resolve();
    };
    onReceived();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'bench-email-'));
writeFileSync(
  join(dir, 'config.json'),
  JSON.stringify({
    configurations: [
      {
        provider: 'smtp',
        sourceEmail: 'Bench <bench@acme.test>',
        errorReportingEmail: 'ops@acme.test',
      },
    ],
    events: {
      USER_CREATED: { subject: 'Welcome {{var:recipient_name}}', templateName: 'welcome' },
    },
  }),
);
writeFileSync(
  join(dir, 'welcome.html'),
  '<p>Hello {{var:recipient_name}},</p>\n<p><a href="{{var:confirmation_link}}">Confirm</a></p>\n',
);
writeFileSync(
  join(dir, 'welcome.txt'),
  'Hello {{var:recipient_name}}: {{var:confirmation_link}}\n',
);

const html = '<p>Hello Ada,</p>\n<p><a href="https://acme.test/confirm?t=abc">Confirm</a></p>\n';

async function bareNodemailer(): Promise<number> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: smtpPort,
    pool: true,
    maxConnections: PREFETCH,
  });
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PREFETCH }, async () => {
      while (next < N) {
        next++;
        await transport.sendMail({
          from: 'Bench <bench@acme.test>',
          to: 'ada@example.test',
          subject: 'Welcome Ada',
          html,
          text: 'Hello Ada: https://acme.test/confirm?t=abc',
        });
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  transport.close();
  return N / seconds;
}

const model = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
const admin = await model.createChannel();
const broker = await RabbitMqBroker.connect(
  resolveRabbitMqSettings({}, { host: '127.0.0.1', port: 5672, queuePrefix: PREFIX }),
);
let round = 0;

async function transmitter(): Promise<number> {
  const queue = `emails.${++round}`;
  const full = `${PREFIX}${queue}`;
  await admin.assertQueue(full, { durable: true });
  for (let i = 0; i < N; i++) {
    const body = {
      event: 'USER_CREATED',
      data: { recipient_name: `Ada ${i}`, confirmation_link: `https://acme.test/confirm?t=${i}` },
      to_emails: ['ada@example.test'],
    };
    admin.sendToQueue(full, Buffer.from(JSON.stringify(body)));
  }
  await admin.checkQueue(full); // a round trip: the publishes before it are in the queue
  const before = received;
  const app = new Application(
    new EmailTransmitter({
      config: join(dir, 'config.json'),
      queue,
      prefetch: PREFETCH,
      env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort) },
    }),
    { providers: [provide(Broker, { value: broker })], logger: createLogger({ level: 'silent' }) },
  );
  const start = performance.now();
  await app.start();
  await receivedAll(before + N);
  const seconds = (performance.now() - start) / 1000;
  await app.stop();
  await admin.deleteQueue(full);
  await admin.deleteQueue(`${full}.dead-letter`).catch(() => undefined);
  return N / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const bare: number[] = [];
const libretto: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Rotating order, so neither always runs on a warmer process.
  if (r % 2 === 0) {
    bare.push(await bareNodemailer());
    libretto.push(await transmitter());
  } else {
    libretto.push(await transmitter());
    bare.push(await bareNodemailer());
  }
}
const b = median(bare);
const l = median(libretto);
console.log(`emails over SMTP, ${N} per round, ${PREFETCH} in flight, median of ${ROUNDS} rounds`);
console.log(
  `  bare nodemailer (pool of ${PREFETCH})           ${b.toFixed(0).padStart(7)} emails/s`,
);
console.log(
  `  EmailTransmitter (RabbitMQ, prefetch ${PREFETCH})  ${l.toFixed(0).padStart(7)} emails/s  (${(l / b).toFixed(2)}× bare)`,
);

await broker.close();
await model.close();
await new Promise<void>((resolve) => smtp.close(() => resolve()));
rmSync(dir, { recursive: true, force: true });
