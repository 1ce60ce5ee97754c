// The dynamodb: section, the settings in effect, the service's start and readiness, and what
// a user sees when DynamoDB cannot be reached — never a secret.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Application, ConfigService, DependencyUnavailableError } from 'libretto';
import { DynamoConfig, DynamoService, DynamoStore, resolveDynamoSettings } from 'libretto/dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { type DynaliteServer, startDynalite } from './dynalite-server.js';

let server: DynaliteServer;
beforeAll(async () => {
  server = await startDynalite();
});
afterAll(() => server?.close());

function unavailable(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  const cause = (error as { cause?: unknown })?.cause;
  return cause === undefined ? undefined : unavailable(cause);
}

describe('settings', () => {
  it('constructor over section over AWS_REGION over defaults; keys never enumerable', () => {
    const s = resolveDynamoSettings(
      {
        region: 'eu-west-1',
        tablePrefix: 'cfg_',
        accessKeyId: 'AKIA',
        secretAccessKey: 'hidden-1',
      },
      { tablePrefix: 'mine_' },
      { AWS_REGION: 'us-west-2' },
    );
    expect(s).toMatchObject({
      region: 'eu-west-1',
      tablePrefix: 'mine_',
      consistentRead: true,
      requestTimeout: 10,
      maxAttempts: 3,
    });
    expect(s.secretAccessKey).toBe('hidden-1');
    expect(JSON.stringify(s)).not.toContain('hidden-1');
    expect(inspect(s)).not.toContain('hidden-1');
    expect(Object.keys(s)).not.toContain('accessKeyId');
    expect(resolveDynamoSettings({}, {}, { AWS_REGION: 'us-west-2' }).region).toBe('us-west-2');
    expect(resolveDynamoSettings({}, {}, { AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe(
      'ap-south-1',
    );
    expect(resolveDynamoSettings({}, {}, {}).region).toBeUndefined();
  });

  it('refuses settings of the wrong shape, naming them', () => {
    expect(() => resolveDynamoSettings({}, { accessKeyId: 'only-one' })).toThrow(
      /accessKeyId and secretAccessKey go together/,
    );
    expect(() => resolveDynamoSettings({}, { endpoint: 'localhost:8000' })).toThrow(/endpoint/);
    expect(() => resolveDynamoSettings({}, { tablePrefix: 'a b' })).toThrow(/tablePrefix/);
    expect(() => resolveDynamoSettings({}, { maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveDynamoSettings({}, { nope: 1 } as never)).toThrow(/nope unknown option/);
  });

  it('the section: YAML overlaid by LIBRETTO_DYNAMODB__*, unknown keys refused with their path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-dynamo-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'dynamodb:\n  region: eu-west-1\n  table_prefix: app_\n');
    const config = new ConfigService({
      sections: [DynamoConfig],
      argv: ['--config', good],
      env: { LIBRETTO_DYNAMODB__CONSISTENT_READ: 'false', LIBRETTO_DYNAMODB__MAX_ATTEMPTS: '5' },
    });
    const app = new Application(config, { logger: capturedLogger().logger });
    await app.start();
    const section = await config.getDependency(DynamoConfig);
    await app.stop();
    expect(section).toEqual({
      region: 'eu-west-1',
      table_prefix: 'app_',
      consistent_read: false,
      max_attempts: 5,
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'dynamodb:\n  regoin: eu-west-1\n');
    const refused = new Application(
      new ConfigService({ sections: [DynamoConfig], argv: ['--config', bad], env: {} }),
      { logger: capturedLogger().logger },
    );
    await expect(refused.start()).rejects.toThrow(/dynamodb\.regoin .*unknown key/);
  });
});

describe('service', () => {
  it('provides DynamoStore from the section, is ready while DynamoDB answers, never logs the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-dynamo-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `dynamodb:\n  region: us-east-1\n  endpoint: ${server.endpoint}\n  access_key_id: test\n  secret_access_key: hidden-key-123\n`,
    );
    const log = capturedLogger();
    const service = new DynamoService({ env: {} });
    const app = new Application(
      new ConfigService({ sections: [DynamoConfig], argv: ['--config', file], env: {} }),
      service,
      { logger: log.logger },
    );
    await app.start();
    const store = await service.getDependency(DynamoStore);
    expect(store.settings.endpoint).toBe(server.endpoint);
    await expect(service.checkHealth()).resolves.toBeUndefined();
    await app.stop();
    expect(log.text()).toContain('DynamoDB ready');
    expect(log.text()).not.toContain('hidden-key-123');
  });

  it('fails the start naming the endpoint and why when DynamoDB does not answer', async () => {
    const app = new Application(
      new DynamoService({
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        accessKeyId: 'test',
        secretAccessKey: 'secret-never-shown',
        maxAttempts: 1,
        env: {},
      }),
      { logger: capturedLogger().logger },
    );
    const error = await app.start().catch((e: unknown) => e);
    const cause = unavailable(error);
    expect(cause?.code).toBe('DYNAMODB_UNAVAILABLE');
    expect(cause?.message).toMatch(/^DynamoDB at http:\/\/127\.0\.0\.1:1 is unavailable: /);
    expect(`${String(error)} ${JSON.stringify(error)} ${inspect(error)}`).not.toContain(
      'secret-never-shown',
    );
  });

  it('a repository call on an unreachable endpoint names it and the table', async () => {
    const store = await DynamoStore.open({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      accessKeyId: 'test',
      secretAccessKey: 'test',
      maxAttempts: 1,
      tablePrefix: 'gone_',
      env: {},
    });
    const { model } = await import('libretto/data');
    const { z } = await import('zod');
    const Thing = model('thing', { name: z.string() });
    await expect(
      store.repository(Thing).get('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
      code: 'DYNAMODB_UNAVAILABLE',
      message: expect.stringMatching(
        /^DynamoDB at http:\/\/127\.0\.0\.1:1 is unavailable \(table gone_thing\)/,
      ),
    });
    store.close();
    await expect(store.repository(Thing).count()).rejects.toMatchObject({
      code: 'DYNAMODB_CLOSED',
    });
  });
});
