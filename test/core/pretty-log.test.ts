import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Application,
  ConfigService,
  createLogger,
  DependencyUnavailableError,
  describeStartupFailure,
  Service,
  StartupError,
} from 'libretto';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reportStartupFailure } from '../../src/core/startup-failure.js';

const dir = mkdtempSync(join(tmpdir(), 'libretto-pretty-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(options: Parameters<typeof createLogger>[0] = {}, env = {}) {
  const out: string[] = [];
  const logger = createLogger(
    { destination: { write: (s: string) => void out.push(s) }, ...options },
    env,
  );
  return { logger, text: () => out.join('') };
}

/** What a real start rejects with when PostgreSQL is not there. */
function connectRefused(): StartupError {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
  });
  const failure = new DependencyUnavailableError(
    'Cannot connect to database "app" at 127.0.0.1:5432 as user "app": connection refused (ECONNREFUSED)',
    {
      code: 'DATABASE_CONNECT_FAILED',
      details: [
        { address: '127.0.0.1:5432', database: 'app', user: 'app', reason: 'ECONNREFUSED' },
      ],
      cause: socket,
    },
  );
  return new StartupError('PostgresService', failure);
}

describe('pretty log format', () => {
  beforeEach(() => {
    // Local time, so the clock reads 03:04:05.678 in every time zone.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(2025, 0, 2, 3, 4, 5, 678));
  });
  afterEach(() => vi.useRealTimers());

  it('one readable line: time, level, service, message, fields', () => {
    const { logger, text } = capture({ format: 'pretty', colors: false });
    logger
      .child({ service: 'HttpService' })
      .info({ url: 'http://127.0.0.1:8080', ms: 12, note: 'two words' }, 'listening');
    logger.warn('plain');
    expect(text()).toMatchInlineSnapshot(`
      "03:04:05.678 INFO  [HttpService] listening url=http://127.0.0.1:8080 ms=12 note="two words"
      03:04:05.678 WARN  plain
      "
    `);
  });

  it('colors only when asked', () => {
    const plain = capture({ format: 'pretty', colors: false });
    plain.logger.info('hello');
    expect(plain.text()).not.toContain('\x1b[');
    const colored = capture({ format: 'pretty', colors: true });
    colored.logger.info('hello');
    expect(colored.text()).toContain('\x1b[32mINFO \x1b[0m');
  });

  it('an error under its line: type, message, code, frames and cause', () => {
    const { logger, text } = capture({ format: 'pretty', colors: false });
    const cause = Object.assign(new Error('socket closed'), { code: 'ECONNRESET' });
    cause.stack = 'Error: socket closed\n    at Socket.close (net.js:1:1)';
    const error = new Error('query failed', { cause });
    error.stack = 'Error: query failed\n    at run (app.ts:10:5)\n    at main (app.ts:20:3)';
    logger.error({ err: error }, 'request failed');
    expect(text()).toMatchInlineSnapshot(`
      "03:04:05.678 ERROR request failed
        Error: query failed
          at run (app.ts:10:5)
          at main (app.ts:20:3)
        caused by Error: socket closed (ECONNRESET)
          at Socket.close (net.js:1:1)
      "
    `);
  });

  it('a failed start is a short block: which service, why, what to do', () => {
    const { logger, text } = capture({ format: 'pretty', colors: false });
    reportStartupFailure(logger, connectRefused());
    expect(text()).toMatchInlineSnapshot(`
      "03:04:05.678 FATAL PostgresService failed to start
        why   Cannot connect to database "app" at 127.0.0.1:5432 as user "app": connection refused (ECONNREFUSED)
        code  DATABASE_CONNECT_FAILED
        hint  Is PostgreSQL running at 127.0.0.1:5432? Start it, or point postgres.host/port (or postgres.dsn) at a running server.
      "
    `);
  });

  it('in JSON, the same fields on one line', () => {
    const { logger, text } = capture({ format: 'json' });
    reportStartupFailure(logger, connectRefused());
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 60,
      msg: 'PostgresService failed to start',
      service: 'PostgresService',
      why: expect.stringContaining('connection refused (ECONNREFUSED)'),
      code: 'DATABASE_CONNECT_FAILED',
      hint: expect.stringContaining('Is PostgreSQL running at 127.0.0.1:5432?'),
    });
  });

  it('secrets stay masked in both formats', () => {
    for (const format of ['pretty', 'json'] as const) {
      const { logger, text } = capture({ format, colors: false });
      logger.info(
        { password: 'Pw-S3cret', dsn: 'postgresql://app:Dsn-S3cret@db/app' },
        'connecting',
      );
      logger.error({ err: new Error('login with password=Err-S3cret failed') }, 'failed');
      reportStartupFailure(
        logger,
        new StartupError('Db', new Error('bad postgresql://u:Why-S3cret@h/db')),
      );
      expect(text()).not.toMatch(/S3cret/);
      expect(text()).toContain('postgresql://app:***@db/app');
    }
  });
});

describe('describeStartupFailure', () => {
  it('a bug names where it was thrown and how to see the stack', () => {
    const failure = describeStartupFailure(
      new StartupError('Worker', new TypeError('x is undefined')),
    );
    expect(failure).toMatchObject({
      service: 'Worker',
      why: 'x is undefined',
      hint: expect.stringContaining('LIBRETTO_LOG_LEVEL=debug'),
      at: expect.stringContaining('pretty-log.test.ts'),
    });
  });

  it('a port in use says which port and what to change', () => {
    const listen = Object.assign(
      new Error('listen EADDRINUSE: address already in use 0.0.0.0:8080'),
      {
        code: 'EADDRINUSE',
        port: 8080,
      },
    );
    expect(describeStartupFailure(new StartupError('HttpService', listen))).toEqual({
      service: 'HttpService',
      why: 'listen EADDRINUSE: address already in use 0.0.0.0:8080',
      code: 'EADDRINUSE',
      hint: 'Another process listens on port 8080: stop it, or choose another port (api.port in the config file, or LIBRETTO_API__PORT).',
    });
  });
});

describe('log level and format from the environment and the config file', () => {
  it('LIBRETTO_LOG_LEVEL and LIBRETTO_LOG_FORMAT', () => {
    const { logger, text } = capture(
      {},
      { LIBRETTO_LOG_LEVEL: 'warn', LIBRETTO_LOG_FORMAT: 'pretty' },
    );
    logger.info('hidden');
    logger.warn('shown');
    expect(text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}shown\n$/);
  });

  it('a bad value is named on the first line and ignored', () => {
    const { logger, text } = capture({}, { LIBRETTO_LOG_LEVEL: 'verbose' });
    expect(logger.level).toBe('info');
    expect(JSON.parse(text()).msg).toBe(
      'LIBRETTO_LOG_LEVEL="verbose" is not one of fatal, error, warn, info, debug, trace, silent: ignored',
    );
  });

  it('log.level in the config file sets the level of the root and every service, unless an option chose one', async () => {
    const config = join(dir, 'log.yaml');
    writeFileSync(config, 'log:\n  level: warn\n');
    class Chatty extends Service {
      override start() {
        this.logger.info('chatty info');
        this.logger.warn('chatty warn');
      }
    }
    const run = async (level?: 'debug') => {
      const out: string[] = [];
      const app = new Application(new ConfigService({ path: config, env: {} }), new Chatty(), {
        logger: {
          destination: { write: (s: string) => void out.push(s) },
          format: 'json',
          ...(level === undefined ? {} : { level }),
        },
      });
      await app.start();
      await app.stop();
      return out.map((l) => JSON.parse(l).msg as string);
    };
    const fromFile = await run();
    expect(fromFile).toContain('chatty warn');
    expect(fromFile).not.toContain('chatty info');
    expect(fromFile).not.toContain('application started');
    expect(await run('debug')).toContain('chatty info');
  });

  it('an unknown log level in the file is a configuration error', async () => {
    const config = join(dir, 'bad-log.yaml');
    writeFileSync(config, 'log:\n  level: loud\n');
    const app = new Application(new ConfigService({ path: config, env: {} }), {
      logger: { level: 'silent' },
    });
    await expect(app.start()).rejects.toThrow(/log\.level \(.*bad-log\.yaml:2\): Invalid option/);
  });
});
