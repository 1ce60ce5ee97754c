import { Application, ConfigError, UsageError } from 'libretto';
import {
  PglitePool,
  PgPool,
  POOL_DEFAULTS,
  PostgresService,
  type PostgresServiceOptions,
} from 'libretto/postgres';
import { HaPool, haBackend } from 'libretto/postgres/ha';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceConfig, startService } from './service-harness.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

/** The pool options in effect once a service started this way. */
type Entry = (dsn: string) => Promise<{ pool: unknown; close: () => Promise<void> }>;

function service(options: PostgresServiceOptions, config?: ServiceConfig): ReturnType<Entry> {
  return startService({ ...options, backends: [haBackend] } as PostgresServiceOptions, config).then(
    ({ app, db }) => ({ pool: db.pool, close: () => app.stop() }),
  );
}

/** Pool size, acquire timeout and idle timeout as the pool runs with them. */
function effective(pool: unknown): {
  maxSize: number;
  acquireTimeoutMs: number;
  idleTimeoutMs?: number;
} {
  if (pool instanceof HaPool) return effective(pool.manager.pools[0]?.connections);
  if (pool instanceof PglitePool) {
    return { maxSize: pool.options.maxSize, acquireTimeoutMs: pool.options.acquireTimeoutMs };
  }
  const { maxSize, acquireTimeoutMs, idleTimeoutMs } = (pool as PgPool).options;
  return { maxSize, acquireTimeoutMs, idleTimeoutMs };
}

describe('one default and one value per setting, whatever the entry point', () => {
  const set = { maxSize: 7, acquireTimeoutMs: 2_500, idleTimeoutMs: 45_000 };
  const entries: [string, Entry, Entry][] = [
    [
      'YAML postgres:',
      (dsn) => service({}, { yaml: `postgres:\n  dsn: ${dsn}\n` }),
      (dsn) =>
        service(
          {},
          {
            yaml: `postgres:\n  dsn: ${dsn}\n  max_size: 7\n  acquire_timeout: 2.5\n  max_inactive_connection_lifetime: 45\n`,
          },
        ),
    ],
    [
      'LIBRETTO_POSTGRES__* environment',
      (dsn) => service({}, { env: { LIBRETTO_POSTGRES__DSN: dsn } }),
      (dsn) =>
        service(
          {},
          {
            env: {
              LIBRETTO_POSTGRES__DSN: dsn,
              LIBRETTO_POSTGRES__MAX_SIZE: '7',
              LIBRETTO_POSTGRES__ACQUIRE_TIMEOUT: '2.5',
              LIBRETTO_POSTGRES__MAX_INACTIVE_CONNECTION_LIFETIME: '45',
            },
          },
        ),
    ],
    [
      'PostgresService constructor',
      (dsn) => service({ dsn }),
      (dsn) => service({ dsn, maxSize: 7, acquireTimeout: 2.5, maxInactiveConnectionLifetime: 45 }),
    ],
    [
      'PostgresConfig provided through DI',
      (dsn) => service({}, { section: { dsn } }),
      (dsn) =>
        service(
          {},
          {
            section: {
              dsn,
              max_size: 7,
              acquire_timeout: 2.5,
              max_inactive_connection_lifetime: 45,
            },
          },
        ),
    ],
    [
      'PgPool directly',
      async (dsn) => {
        const pool = await PgPool.create({ connectionString: dsn });
        return { pool, close: () => pool.close() };
      },
      async (dsn) => {
        const pool = await PgPool.create({ connectionString: dsn, ...set });
        return { pool, close: () => pool.close() };
      },
    ],
    [
      'the HA backend (per host)',
      (dsn) => service({ backend: 'ha', dsn }),
      (dsn) =>
        service({
          backend: 'ha',
          dsn,
          maxSize: 7,
          acquireTimeout: 2.5,
          maxInactiveConnectionLifetime: 45,
        }),
    ],
  ];

  it.each(entries)('%s', async (_name, defaults, given) => {
    const a = await defaults(server.dsn);
    const b = await given(server.dsn);
    try {
      expect(effective(a.pool)).toEqual({
        maxSize: POOL_DEFAULTS.maxSize,
        acquireTimeoutMs: POOL_DEFAULTS.acquireTimeoutMs,
        idleTimeoutMs: POOL_DEFAULTS.idleTimeoutMs,
      });
      expect(effective(b.pool)).toEqual(set);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the embedded database: the same acquire timeout through the service and directly', async () => {
    const viaService = await service({});
    const direct = await PglitePool.create();
    try {
      expect(effective(viaService.pool)).toEqual(effective(direct));
      expect(effective(direct)).toEqual({
        maxSize: 1,
        acquireTimeoutMs: POOL_DEFAULTS.acquireTimeoutMs,
      });
    } finally {
      await viaService.close();
      await direct.close();
    }
  }, 120_000); // two PGlite instances: slow to start on a busy machine
});

describe('settings are shaped by the backend they select', () => {
  it('a key of another backend in the configuration is a ConfigError naming it', async () => {
    const error = await service(
      {},
      { yaml: `postgres:\n  dsn: ${server.dsn}\n  min_masters: 1\n  data_dir: /tmp/x\n` },
    ).catch((e: unknown) => e);
    const config = findCause(error, ConfigError) as ConfigError | undefined;
    expect(config?.issues).toEqual([
      expect.objectContaining({
        path: 'postgres.min_masters',
        message: 'belongs to backend ha, but this section selects backend pg',
      }),
      expect.objectContaining({
        path: 'postgres.data_dir',
        message: 'belongs to backend pglite, but this section selects backend pg',
      }),
    ]);
  });

  it('a key of another backend in the constructor fails to compile and throws a UsageError', () => {
    // @ts-expect-error minMasters belongs to backend ha
    expect(() => new PostgresService({ backend: 'pg', minMasters: 1 })).toThrow(
      /minMasters belongs to backend ha, but the settings select backend pg/,
    );
    // @ts-expect-error a server's keys do not apply to the embedded database
    expect(() => new PostgresService({ backend: 'pglite', maxSize: 3 })).toThrow(UsageError);
    // @ts-expect-error a DSN selects pg: dataDir is PGlite's
    expect(() => new PostgresService({ dsn: server.dsn, dataDir: '/tmp/x' })).toThrow(UsageError);
  });

  it('a key the configuration gives for another backend than the constructor selects is refused', async () => {
    const error = await service(
      { backend: 'pglite' },
      { yaml: 'postgres:\n  max_size: 3\n' },
    ).catch((e: unknown) => e);
    expect(findCause(error, ConfigError)?.message).toMatch(
      /postgres\.max_size: belongs to backend pg or ha, but the settings select backend pglite/,
    );
  });

  it('selecting ha without haBackend is a UsageError that says the line to add', async () => {
    const app = new Application(
      new PostgresService({ backend: 'ha', hosts: [`127.0.0.1:${server.port}`] }),
    );
    const error = await app.start().catch((e: unknown) => e);
    const usage = findCause(error, UsageError) as UsageError | undefined;
    expect(usage?.code).toBe('BACKEND_NOT_REGISTERED');
    expect(usage?.message).toContain('new PostgresService({ backends: [haBackend] })');
  });

  it('with haBackend, hosts in the configuration run the HA pool', async () => {
    const { pool, close } = await service(
      {},
      {
        yaml: `postgres:\n  hosts: 127.0.0.1:${server.port}\n  user: postgres\n  database: postgres\n  min_masters: 1\n`,
      },
    );
    try {
      expect(pool).toBeInstanceOf(HaPool);
    } finally {
      await close();
    }
  });
});

function findCause(error: unknown, type: new (...a: never[]) => Error): Error | undefined {
  let e: unknown = error;
  while (e instanceof Error) {
    if (e instanceof type) return e;
    e = (e as Error).cause;
  }
  return undefined;
}
