// RabbitMqService and its settings: the rabbitmq: section, LIBRETTO_RABBITMQ__* variables,
// the seed's RABBITMQ_* variables, an AMQP URL, their precedence, masked passwords, and the
// service's start, readiness and stop against the RabbitMQ on :5672.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigService, DependencyUnavailableError } from 'libretto';
import {
  Broker,
  decodeEnvelope,
  RabbitMqConfig,
  RabbitMqService,
  resolveRabbitMqSettings,
} from 'libretto/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { QueueInspector, RABBIT_HOST, rabbitAvailable, uniquePrefix } from './rabbitmq.js';

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'libretto-mq-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('RabbitMQ settings', () => {
  it('defaults to guest@localhost:5672, vhost /', () => {
    const s = resolveRabbitMqSettings({}, {});
    expect(s).toMatchObject({
      host: 'localhost',
      port: 5672,
      user: 'guest',
      vhost: '/',
      queuePrefix: '',
    });
    expect(s.password).toBe('guest');
  });

  it('reads an AMQP URL; explicit keys win over its parts; amqps means TLS on 5671', () => {
    const s = resolveRabbitMqSettings(
      { url: 'amqp://app:s%40cret@mq.internal:5673/orders%2Fv1' },
      { host: 'other' },
    );
    expect(s).toMatchObject({
      host: 'other',
      port: 5673,
      user: 'app',
      vhost: 'orders/v1',
      tls: false,
    });
    expect(s.password).toBe('s@cret');
    expect(resolveRabbitMqSettings({}, { url: 'amqps://mq' })).toMatchObject({
      tls: true,
      port: 5671,
    });
    expect(() => resolveRabbitMqSettings({}, { url: 'http://app:pw@mq' })).toThrow(
      'Invalid DSN "http://app:***@mq": scheme http:// is not amqp:// or amqps://',
    );
  });

  it("fills what neither the section nor the URL say from the seed's variables", () => {
    const env = {
      RABBITMQ_HOST: 'seed-host',
      RABBITMQ_PORT: '5700',
      RABBITMQ_USER: 'seed',
      RABBITMQ_PASSWORD: 'seed-pw',
      RABBITMQ_VIRTUAL_HOST: 'seed-vhost',
      QUEUE_NAME_PREFIX: 'dev_',
    };
    expect(resolveRabbitMqSettings({}, {}, env)).toMatchObject({
      host: 'seed-host',
      port: 5700,
      user: 'seed',
      vhost: 'seed-vhost',
      queuePrefix: 'dev_',
    });
    expect(resolveRabbitMqSettings({ host: 'from-section' }, {}, env).host).toBe('from-section');
    expect(resolveRabbitMqSettings({ url: 'amqp://url-host' }, {}, env).host).toBe('url-host');
    expect(() => resolveRabbitMqSettings({}, {}, { RABBITMQ_PORT: 'abc' })).toThrow(
      'rabbitmq.port (RABBITMQ_PORT): "abc" is not a port number',
    );
  });

  it('never shows the password: not enumerable, not in JSON', () => {
    const s = resolveRabbitMqSettings({}, { password: 'hunter2' });
    expect(s.password).toBe('hunter2');
    expect(JSON.stringify(s)).not.toContain('hunter2');
    expect(Object.keys(s)).not.toContain('password');
  });

  it('the section: YAML overlaid by LIBRETTO_RABBITMQ__*, unknown keys refused with their path', async () => {
    const config = new ConfigService({
      sections: [RabbitMqConfig],
      argv: ['--config', yamlFile('rabbitmq:\n  host: yaml-host\n  prefetch: 5\n')],
      env: { LIBRETTO_RABBITMQ__QUEUE_PREFIX: 'env.', LIBRETTO_RABBITMQ__PORT: '5999' },
    });
    const app = new Application(config, { logger: capturedLogger().logger });
    await app.start();
    const section = await config.getDependency(RabbitMqConfig);
    await app.stop();
    expect(section).toEqual({ host: 'yaml-host', prefetch: 5, queue_prefix: 'env.', port: 5999 });

    const bad = new Application(
      new ConfigService({
        sections: [RabbitMqConfig],
        argv: ['--config', yamlFile('rabbitmq:\n  hots: x\n')],
        env: {},
      }),
      { logger: capturedLogger().logger },
    );
    await expect(bad.start()).rejects.toThrow(/rabbitmq\.hots .*unknown key/);
  });

  it('queue_arguments: by queue, x- arguments only, the wrong kind refused with its path', async () => {
    const read = async (yaml: string) => {
      const config = new ConfigService({
        sections: [RabbitMqConfig],
        argv: ['--config', yamlFile(yaml)],
        env: {},
      });
      const app = new Application(config, { logger: capturedLogger().logger });
      await app.start();
      try {
        return await config.getDependency(RabbitMqConfig);
      } finally {
        await app.stop();
      }
    };
    const section = await read(
      'rabbitmq:\n  queue_arguments:\n    orders:\n      x-queue-type: quorum\n      x-delivery-limit: 5\n',
    );
    expect(section).toEqual({
      queue_arguments: { orders: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } },
    });
    await expect(
      read('rabbitmq:\n  queue_arguments:\n    orders:\n      durable: true\n'),
    ).rejects.toThrow(
      /rabbitmq\.queue_arguments\.orders\.durable.*a queue argument starts with x-/,
    );
  });

  it('refuses an unknown option of the service', () => {
    expect(() => new RabbitMqService({ hots: 'x' } as never)).toThrow(
      /^RabbitMqService: hots unknown option/,
    );
  });
});

const available = await rabbitAvailable();

describe.skipIf(!available)('RabbitMqService', () => {
  const prefix = uniquePrefix('service');
  let inspector: QueueInspector;
  beforeAll(async () => {
    inspector = await QueueInspector.open();
  });
  afterAll(async () => {
    await inspector?.close();
  });

  it('provides the Broker, is ready while connected, and stops', async () => {
    inspector.track(`${prefix}jobs`);
    const log = capturedLogger();
    const service = new RabbitMqService({ env: {} });
    const app = new Application(
      new ConfigService({
        sections: [RabbitMqConfig],
        env: {
          LIBRETTO_RABBITMQ__URL: `amqp://guest:guest@${RABBIT_HOST}:5672/%2F`,
          LIBRETTO_RABBITMQ__QUEUE_PREFIX: prefix,
        },
      }),
      service,
      { logger: log.logger },
    );
    await app.start();
    const broker = await service.getDependency(Broker);
    await broker.send('jobs', { job: 1 });
    const raw = await inspector.take(`${prefix}jobs`);
    expect(decodeEnvelope(raw.content).data).toEqual({ job: 1 });
    await expect(service.checkHealth()).resolves.toBeUndefined();
    await app.stop();
    expect(log.text()).toContain('RabbitMQ ready');
    expect(log.text()).not.toContain('guest:guest');
  });

  it('fails the start with the host, the vhost and why, and no password, when refused', async () => {
    const log = capturedLogger();
    const app = new Application(
      new RabbitMqService({ host: RABBIT_HOST, user: 'guest', password: 'wrong-pw-123', env: {} }),
      { logger: log.logger },
    );
    const error = await app.start().catch((e: unknown) => e);
    const text = `${String(error)} ${JSON.stringify(error)} ${log.text()}`;
    expect(text).toMatch(
      /RabbitMQ at 127\.0\.0\.1:5672 vhost \/ is unavailable: the broker refused the connection/,
    );
    expect(text).toContain('ACCESS_REFUSED');
    expect(text).not.toContain('wrong-pw-123');
  });

  it('fails the start within connect_timeout when nothing listens', async () => {
    const app = new Application(
      new RabbitMqService({ host: RABBIT_HOST, port: 1, connectTimeout: 0.5, env: {} }),
      { logger: capturedLogger().logger },
    );
    const error = await app.start().catch((e: unknown) => e);
    const cause = (function find(e: unknown): unknown {
      if (e instanceof DependencyUnavailableError) return e;
      const c = (e as { cause?: unknown })?.cause;
      return c === undefined ? undefined : find(c);
    })(error);
    expect(cause).toBeInstanceOf(DependencyUnavailableError);
    expect((cause as Error).message).toMatch(
      /^RabbitMQ at 127\.0\.0\.1:1 vhost \/ is unavailable: not connected within 0\.5 s \(last error: .*ECONNREFUSED/,
    );
  });
});
