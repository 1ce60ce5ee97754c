import { Application, ConfigError, UsageError } from 'libretto';
import {
  type Database,
  PglitePool,
  PgPool,
  POOL_DEFAULTS,
  PostgresService,
  type PostgresServiceOptions,
  transactional,
} from 'libretto/postgres';
import { HaPool, haBackend } from 'libretto/postgres/ha';
import { startPostgres, TcpProxy, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPglite } from './empty-pglite.js';
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

  it('PGlite: the same acquire timeout through the service and directly', async () => {
    const viaService = await service({ backend: 'pglite' });
    const direct = await PglitePool.create({ loadDataDir: await emptyPglite() });
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

describe('isolation_level, statement_timeout, query_timeout, application_name, port', () => {
  /** What a user sees of the five settings on a database the service opened. */
  async function seen(db: Database, pool: unknown) {
    const options = pool instanceof HaPool ? pool.manager.pools[0]?.connections.options : undefined;
    return {
      isolation: await db.transaction((tx) => tx.fetchVal('SHOW transaction_isolation')),
      statementTimeout: await db.fetchVal('SHOW statement_timeout'),
      applicationName: await db.fetchVal("SELECT current_setting('application_name')"),
      queryTimeoutMs: (options ?? (pool as PgPool).options).queryTimeoutMs,
    };
  }
  const given = {
    isolation: 'repeatable read',
    statementTimeout: '3s',
    applicationName: 'billing',
    queryTimeoutMs: 4_000,
  };
  const yaml = (port: number) =>
    `postgres:\n  host: 127.0.0.1\n  port: ${port}\n  user: postgres\n  database: postgres\n` +
    '  isolation_level: repeatable read\n  statement_timeout: 3\n  query_timeout: 4\n' +
    '  application_name: billing\n';
  const entries: [string, () => [PostgresServiceOptions, ServiceConfig?]][] = [
    ['YAML postgres:', () => [{}, { yaml: yaml(server.port) }]],
    [
      'LIBRETTO_POSTGRES__* environment',
      () => [
        {},
        {
          env: {
            LIBRETTO_POSTGRES__HOST: '127.0.0.1',
            LIBRETTO_POSTGRES__PORT: String(server.port),
            LIBRETTO_POSTGRES__USER: 'postgres',
            LIBRETTO_POSTGRES__DATABASE: 'postgres',
            LIBRETTO_POSTGRES__ISOLATION_LEVEL: 'repeatable read',
            LIBRETTO_POSTGRES__STATEMENT_TIMEOUT: '3',
            LIBRETTO_POSTGRES__QUERY_TIMEOUT: '4',
            LIBRETTO_POSTGRES__APPLICATION_NAME: 'billing',
          },
        },
      ],
    ],
    [
      'PostgresService constructor',
      () => [
        {
          host: '127.0.0.1',
          port: server.port,
          user: 'postgres',
          database: 'postgres',
          isolationLevel: 'repeatable read',
          statementTimeout: 3,
          queryTimeout: 4,
          applicationName: 'billing',
        },
      ],
    ],
    [
      'PostgresConfig provided through DI',
      () => [
        {},
        {
          section: {
            host: '127.0.0.1',
            port: server.port,
            user: 'postgres',
            database: 'postgres',
            isolation_level: 'repeatable read',
            statement_timeout: 3,
            query_timeout: 4,
            application_name: 'billing',
          },
        },
      ],
    ],
    [
      'the HA backend (per host)',
      () => [
        {
          backend: 'ha',
          dsn: server.dsn,
          isolationLevel: 'repeatable read',
          statementTimeout: 3,
          queryTimeout: 4,
          applicationName: 'billing',
        },
      ],
    ],
  ];

  it.each(entries)('%s', async (_name, options) => {
    const [withDefaults, config] = options();
    const defaults = await startService({ dsn: server.dsn, backends: [haBackend] });
    const set = await startService(
      { ...withDefaults, backends: [haBackend] } as PostgresServiceOptions,
      config,
    );
    try {
      expect(await seen(defaults.db, defaults.db.pool)).toEqual({
        isolation: 'read committed',
        statementTimeout: '0',
        applicationName: '',
        queryTimeoutMs: undefined,
      });
      expect(await seen(set.db, set.db.pool)).toEqual(given);
    } finally {
      await defaults.app.stop();
      await set.app.stop();
    }
  });

  it('isolation_level is the default only: a transaction that names one keeps it', async () => {
    const { app, db } = await startService({ dsn: server.dsn, isolationLevel: 'serializable' });
    try {
      const level = (isolation?: 'read committed') =>
        transactional(() => db.fetchVal('SHOW transaction_isolation'), {
          database: db,
          ...(isolation === undefined ? {} : { isolation }),
        });
      expect(await level()).toBe('serializable');
      expect(await level('read committed')).toBe('read committed');
    } finally {
      await app.stop();
    }
  });

  it('query_timeout from YAML fails a statement on a server that stopped answering', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', server.port);
    const { app, db } = await startService(
      {},
      {
        yaml: `postgres:\n  dsn: postgresql://postgres@127.0.0.1:${proxy.port}/postgres\n  query_timeout: 0.3\n`,
      },
    );
    try {
      proxy.set('stall');
      await expect(db.fetchVal('SELECT 1')).rejects.toMatchObject({
        name: 'DeadlineExceededError',
        code: 'DB_QUERY_TIMEOUT',
      });
    } finally {
      proxy.set('pass');
      await app.stop();
      await proxy.close();
    }
  });

  it('a port given twice, differently, is refused at start', async () => {
    const error = await startService({ host: '127.0.0.1:5433', port: 5434 }).catch((e) => e);
    expect(findCause(error, UsageError)?.message).toBe(
      'PostgresService: port is 5434 but host names port 5433: give the port once',
    );
  });

  it('no pool_use_lifo key: the pg pool always hands out the connection returned last', async () => {
    const pool = await PgPool.create({ connectionString: server.dsn });
    try {
      const pid = 'SELECT pg_backend_pid()';
      const a = await pool.acquire();
      const b = await pool.acquire();
      const pidB = (await b.query(pid, [])).rows[0];
      a.release();
      b.release();
      const c = await pool.acquire();
      expect((await c.query(pid, [])).rows[0]).toEqual(pidB);
      c.release();
      // @ts-expect-error there is no such setting: pg-pool has no other order
      expect(() => new PostgresService({ poolUseLifo: true })).toThrow(
        'PostgresService: poolUseLifo unknown option',
      );
    } finally {
      await pool.close();
    }
  });
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
        message: 'belongs to backend embedded or pglite, but this section selects backend pg',
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
    // @ts-expect-error a DSN selects pg: dataDir is the embedded database's
    expect(() => new PostgresService({ dsn: server.dsn, dataDir: '/tmp/x' })).toThrow(UsageError);
  });

  it('a key the configuration gives for another backend than the constructor selects is refused', async () => {
    const error = await service(
      { backend: 'pglite' },
      { yaml: 'postgres:\n  max_size: 3\n' },
    ).catch((e: unknown) => e);
    expect(findCause(error, ConfigError)?.message).toMatch(
      /postgres\.max_size: belongs to backend embedded or pg or ha, but the settings select backend pglite/,
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
