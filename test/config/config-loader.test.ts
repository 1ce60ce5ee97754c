import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  type ConfigSection,
  ConfigService,
  type ConfigServiceOptions,
  configSection,
  loadConfig,
} from 'libretto';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { findConfigPath } from '../../src/config/config-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'libretto-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function yamlFile(text: string): string {
  const path = join(dir, `config-${++n}.yaml`);
  writeFileSync(path, text);
  return path;
}

const Worker = configSection(
  'worker',
  z.strictObject({
    interval_ms: z.number().int().positive(),
    retries: z.number().int().default(3),
    name: z.string().optional(),
  }),
);
const Db = configSection(
  'db',
  z.strictObject({ host: z.string(), port: z.number().int().max(65535), password: z.string() }),
);
const noEnv = { env: {}, argv: [] };

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('findConfigPath (CFG-1)', () => {
  it('reads --config PATH, --config=PATH and -c PATH', () => {
    expect(findConfigPath({ argv: ['--config', 'a.yaml'], env: {} })).toBe('a.yaml');
    expect(findConfigPath({ argv: ['--config=b.yaml'], env: {} })).toBe('b.yaml');
    expect(findConfigPath({ argv: ['-c', 'c.yaml'], env: {} })).toBe('c.yaml');
  });
  it('falls back to the variable naming the file, and explicit path wins', () => {
    expect(findConfigPath({ argv: [], env: { LIBRETTO_CONFIG: 'e.yaml' } })).toBe('e.yaml');
    expect(findConfigPath({ argv: [], env: { MY_CFG: 'm.yaml' }, pathEnv: 'MY_CFG' })).toBe(
      'm.yaml',
    );
    expect(findConfigPath({ path: 'x.yaml', argv: ['--config', 'a.yaml'], env: {} })).toBe(
      'x.yaml',
    );
    expect(findConfigPath({ argv: [], env: {} })).toBeUndefined();
  });
  it('rejects --config without a path', () => {
    expect(() => findConfigPath({ argv: ['--config'], env: {} })).toThrow(
      /--config needs a file path/,
    );
  });
});

describe('loadConfig', () => {
  it('gives the raw document and each typed section', async () => {
    const path = yamlFile(
      'worker:\n  interval_ms: 250\ndb:\n  host: h\n  port: 5432\n  password: pw\n',
    );
    const loaded = await loadConfig([Worker, Db], { path, ...noEnv });
    expect(loaded.raw).toEqual({
      worker: { interval_ms: 250 },
      db: { host: 'h', port: 5432, password: 'pw' },
    });
    expect(loaded.sections.get(Worker)).toEqual({ interval_ms: 250, retries: 3 });
    expect(loaded.path).toBe(path);
  });

  it('lists every invalid key path with its file line and reason', async () => {
    const path = yamlFile(
      [
        'worker:',
        '  interval_ms: soon', // line 2
        '  retries: 1.5', // line 3
        '  colour: blue', // line 4
        'db:',
        '  host: h',
        '  port: 70000', // line 7
      ].join('\n'),
    );
    const error = await configError(loadConfig([Worker, Db], { path, ...noEnv }));
    expect(error.issues).toEqual([
      {
        path: 'worker.interval_ms',
        source: `${path}:2`,
        message: expect.stringMatching(/expected number/),
      },
      {
        path: 'worker.retries',
        source: `${path}:3`,
        message: expect.stringMatching(/expected int/),
      },
      { path: 'worker.colour', source: `${path}:4`, message: 'unknown key' },
      { path: 'db.port', source: `${path}:7`, message: expect.stringMatching(/<=65535/) },
      // Missing: points at its parent, `db:` on line 5.
      {
        path: 'db.password',
        source: `${path}:5`,
        message: expect.stringMatching(/expected string/),
      },
    ]);
    expect(error.message).toContain(`worker.interval_ms (${path}:2)`);
  });

  it('reports a missing section, naming the keys it needs', async () => {
    const error = await configError(loadConfig([Worker], { path: yamlFile('{}\n'), ...noEnv }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'worker',
        message: 'section is missing (needs interval_ms)',
      }),
    ]);
    expect(error.message).toContain('worker (');
  });

  it('fills an absent section from its defaults when its schema accepts {}', async () => {
    const Cache = configSection(
      'cache',
      z.strictObject({
        ttl_s: z.number().default(60),
        backend: z.enum(['memory']).default('memory'),
      }),
    );
    const Optional = configSection('extras', z.object({ note: z.string().optional() }));
    const loaded = await loadConfig([Cache, Optional], { path: yamlFile('{}\n'), ...noEnv });
    expect(loaded.sections.get(Cache)).toEqual({ ttl_s: 60, backend: 'memory' });
    expect(loaded.sections.get(Optional)).toEqual({});
    // With no file at all, too; a variable for one key still merges over the defaults.
    const fromEnv = await loadConfig([Cache], { env: { LIBRETTO_CACHE__TTL_S: '5' }, argv: [] });
    expect(fromEnv.sections.get(Cache)).toEqual({ ttl_s: 5, backend: 'memory' });
  });

  it('a section that needs a value still fails when absent, beside one filled from defaults', async () => {
    const Cache = configSection('cache', z.strictObject({ ttl_s: z.number().default(60) }));
    const error = await configError(
      loadConfig([Cache, Db], { path: yamlFile('cache:\n  ttl_s: 1\n'), ...noEnv }),
    );
    expect(error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'db: section is missing (needs host, port, password)',
    ]);
  });

  it('rejects unknown top-level sections unless strict is off', async () => {
    const path = yamlFile('worker:\n  interval_ms: 1\nwroker:\n  interval_ms: 2\n');
    const error = await configError(loadConfig([Worker], { path, ...noEnv }));
    expect(error.issues).toEqual([
      {
        path: 'wroker',
        source: `${path}:3`,
        message: 'unknown section (no ConfigSection reads it)',
      },
    ]);
    await expect(loadConfig([Worker], { path, ...noEnv, strict: false })).resolves.toBeDefined();
  });

  it('points at the line and column of malformed YAML', async () => {
    const path = yamlFile('worker:\n  interval_ms: 1\n  name: [unclosed\ndb: {');
    const error = await configError(loadConfig([Worker], { path, ...noEnv }));
    expect(error.issues[0]?.source).toMatch(new RegExp(`^${path}:\\d+:\\d+$`));
    expect(error.issues[0]?.message).toMatch(/^malformed YAML/);
  });

  it('does not quote the source of malformed YAML, which may hold a secret', async () => {
    const path = yamlFile('db:\n  password: "Sup3rSecret\n  host: h\n');
    const error = await configError(loadConfig([Db], { path, ...noEnv }));
    expect(error.message).not.toContain('Sup3rSecret');
  });

  it('rejects duplicate keys and a document that is not a mapping', async () => {
    const dup = await configError(
      loadConfig([Worker], {
        path: yamlFile('worker:\n  interval_ms: 1\n  interval_ms: 2\n'),
        ...noEnv,
      }),
    );
    expect(dup.issues[0]?.message).toMatch(/malformed YAML/);
    const list = await configError(
      loadConfig([Worker], { path: yamlFile('- a\n- b\n'), ...noEnv }),
    );
    expect(list.issues[0]?.message).toMatch(/must be a mapping/);
  });

  it('reports a missing file with its path', async () => {
    const error = await configError(loadConfig([], { path: join(dir, 'nope.yaml'), ...noEnv }));
    expect(error.message).toContain('config file not found');
    expect(error.issues[0]?.source).toBe(join(dir, 'nope.yaml'));
  });

  it('without a file, reads only the environment; required makes a file mandatory', async () => {
    const loaded = await loadConfig([Worker], {
      argv: [],
      env: { LIBRETTO_WORKER__INTERVAL_MS: '10' },
    });
    expect(loaded.sections.get(Worker)).toEqual({ interval_ms: 10, retries: 3 });
    await expect(loadConfig([], { ...noEnv, required: true })).rejects.toThrow(/no config file/);
  });

  it('overlays prefixed environment variables on the file, coerced to the schema', async () => {
    const path = yamlFile('worker:\n  interval_ms: 250\n  name: file\n');
    const loaded = await loadConfig([Worker], {
      path,
      argv: [],
      env: { LIBRETTO_WORKER__RETRIES: '7', LIBRETTO_WORKER__NAME: 'from-env' },
    });
    expect(loaded.sections.get(Worker)).toEqual({ interval_ms: 250, retries: 7, name: 'from-env' });
  });

  it('honours a custom prefix, and envPrefix: false ignores the environment', async () => {
    const env = { APP_WORKER__INTERVAL_MS: '5', LIBRETTO_WORKER__INTERVAL_MS: '6' };
    const custom = await loadConfig([Worker], { argv: [], env, envPrefix: 'APP_' });
    expect(custom.sections.get(Worker)).toMatchObject({ interval_ms: 5 });
    const path = yamlFile('worker:\n  interval_ms: 1\n');
    const off = await loadConfig([Worker], { path, argv: [], env, envPrefix: false });
    expect(off.sections.get(Worker)).toMatchObject({ interval_ms: 1 });
  });

  it('names the variable a bad value came from', async () => {
    const error = await configError(
      loadConfig([Worker], { argv: [], env: { LIBRETTO_WORKER__INTERVAL_MS: 'often' } }),
    );
    expect(error.issues).toEqual([
      {
        path: 'worker.interval_ms',
        source: 'LIBRETTO_WORKER__INTERVAL_MS',
        message: expect.stringMatching(/expected number/),
      },
    ]);
  });

  it('a root section types the whole document', async () => {
    const Root = configSection(z.object({ name: z.string(), port: z.number() }));
    const loaded = await loadConfig([Root], {
      path: yamlFile('name: x\n'),
      argv: [],
      env: { LIBRETTO_PORT: '80' },
    });
    expect(loaded.sections.get(Root)).toEqual({ name: 'x', port: 80 });
  });
});

describe('loadConfig: environment edge cases', () => {
  it('ignores prefixed variables that belong to no section', async () => {
    const loaded = await loadConfig([Worker], {
      argv: [],
      env: { LIBRETTO_WORKER__INTERVAL_MS: '5', LIBRETTO_OTHER_TOOL: 'x' },
    });
    expect(loaded.sections.get(Worker)).toMatchObject({ interval_ms: 5 });
    expect(loaded.raw).toMatchObject({ other_tool: 'x' });
  });

  it('leaves out the variables the logger reads itself, as it does LIBRETTO_CONFIG', async () => {
    const Root = configSection(z.strictObject({ name: z.string().default('x') }));
    const loaded = await loadConfig([Root], {
      argv: [],
      env: { LIBRETTO_LOG_LEVEL: 'debug', LIBRETTO_LOG_FORMAT: 'pretty', LIBRETTO_CONFIG: '' },
    });
    expect(loaded.raw).toEqual({});
  });

  it('rejects an empty prefix, which would read the whole environment', async () => {
    await expect(loadConfig([Worker], { argv: [], env: {}, envPrefix: '' })).rejects.toThrow(
      /envPrefix must not be empty/,
    );
  });

  it('fills camelCase keys from SNAKE_CASE variables', async () => {
    const Pool = configSection(
      'pool',
      z.strictObject({ maxSize: z.number(), idleTimeoutMs: z.number() }),
    );
    const loaded = await loadConfig([Pool], {
      argv: [],
      env: { LIBRETTO_POOL__MAX_SIZE: '20', LIBRETTO_POOL__IDLE_TIMEOUT_MS: '1000' },
    });
    expect(loaded.sections.get(Pool)).toEqual({ maxSize: 20, idleTimeoutMs: 1000 });
    const error = await configError(
      loadConfig([Pool], {
        argv: [],
        env: { LIBRETTO_POOL__MAX_SIZE: 'lots', LIBRETTO_POOL__IDLE_TIMEOUT_MS: '1' },
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'pool.maxSize',
        source: 'LIBRETTO_POOL__MAX_SIZE',
        message: expect.stringMatching(/expected number/),
      },
    ]);
  });

  it('points an unknown nested key at its own line', async () => {
    const Api = configSection(
      'api',
      z.strictObject({ docs: z.strictObject({ title: z.string() }) }),
    );
    const path = yamlFile('api:\n  docs:\n    title: x\n    extra: 1\n');
    const error = await configError(loadConfig([Api], { path, ...noEnv }));
    expect(error.issues).toEqual([
      { path: 'api.docs.extra', source: `${path}:4`, message: 'unknown key' },
    ]);
  });
});

describe('configSection and ConfigService arguments', () => {
  it('rejects a key that is not one top-level name, and a schema that is not zod', () => {
    expect(() => configSection('a.b', z.object({}))).toThrow(/must be one top-level key name/);
    expect(() => configSection('a', {} as z.ZodObject)).toThrow(
      'configSection: schema must be a zod schema',
    );
  });

  it('rejects unknown options and non-sections', () => {
    expect(() => new ConfigService({ envPrefx: 'APP_' } as ConfigServiceOptions)).toThrow(
      'ConfigService: envPrefx unknown option',
    );
    expect(
      () => new ConfigService({ sections: [Worker, z.object({})] as unknown as ConfigSection[] }),
    ).toThrow('ConfigService: sections[1] is not a configSection(...)');
  });
});
