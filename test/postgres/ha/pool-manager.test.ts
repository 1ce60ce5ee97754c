import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Application,
  ConfigService,
  DependencyTimeoutError,
  DependencyUnavailableError,
  UsageError,
} from 'libretto';
import { Database, PostgresConfig, PostgresService, readYourWrites } from 'libretto/postgres';
import {
  HaPool,
  haBackend,
  POOL_MANAGER_DEFAULTS,
  PoolManager,
  type PoolManagerEvent,
  type PoolManagerOptions,
} from 'libretto/postgres/ha';
import { type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// One cluster (primary + 2 replicas behind proxies) for the file; every test leaves it as
// it found it (proxies passing, every node running, replay resumed).
let cluster: PostgresCluster;
const managers: PoolManager[] = [];

beforeAll(async () => {
  cluster = await startPostgresCluster({ replicas: 2 });
  const setup = new pg.Client({ connectionString: cluster.primary.dsn() });
  await setup.connect();
  await setup.query('CREATE TABLE ha_items (id serial PRIMARY KEY, note text)');
  await setup.end();
  await cluster.waitForReplication();
});
afterAll(() => cluster?.close());
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const n of cluster.nodes) n.proxy.set('pass');
});

async function manager(options: Partial<PoolManagerOptions> = {}): Promise<PoolManager> {
  const m = await PoolManager.create({
    dsn: cluster.dsn(),
    refreshDelayMs: 100,
    refreshTimeoutMs: 500,
    ...options,
  });
  managers.push(m);
  await m.ready(1, 2, 15_000);
  return m;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server port behind a connection: tells the nodes apart through their proxies. */
const serverPort = (node: PostgresCluster['nodes'][number]) => node.server.port;
const portOf = async (run: (text: string) => Promise<{ rows: Record<string, unknown>[] }>) =>
  Number((await run("SELECT current_setting('port') AS port")).rows[0]?.port);

describe('PoolManager on a real cluster', () => {
  it('finds each host role and waits for the counts asked', async () => {
    const m = await manager();
    const [primary, r1, r2] = m.pools;
    expect(m.poolIsMaster(primary!)).toBe(true);
    expect(m.poolIsReplica(r1!)).toBe(true);
    expect(m.poolIsReplica(r2!)).toBe(true);
    expect(m.getMasterPools()).toEqual([primary]);
    expect(m.getReplicaPools()).toEqual([r1, r2]);
    expect(m.getLastResponseTime(primary!)).toBeGreaterThan(0);
    expect(m.getPoolFreesize(primary!)).toBe(10);
    expect(m.acquireTimeoutMs).toBe(POOL_MANAGER_DEFAULTS.acquireTimeoutMs);
    const [p, a, b] = cluster.nodes.map((n) => n.address);
    const notReady = await m.ready(2, 0, 300).catch((e: unknown) => e);
    expect(notReady).toBeInstanceOf(DependencyUnavailableError);
    expect(notReady).toMatchObject({
      code: 'HA_NOT_READY',
      message: `Database cluster not ready within 300 ms: wanted 2 master(s) and 0 replica(s) of database postgres; ${p} master, ${a} replica, ${b} replica`,
      details: [
        { host: p, role: 'master' },
        { host: a, role: 'replica' },
        { host: b, role: 'replica' },
      ],
    });
    await m.waitAllReady();
    await m.waitNextPoolCheck();
    await expect(m.waitNextPoolCheck(0)).rejects.toMatchObject({ code: 'HA_NO_POOL_CHECK' });
  });

  it('once closed, fails waiting and new callers at once', async () => {
    const m = await manager();
    const waiting = m.ready(2, 0, 10_000).catch((e: unknown) => e);
    const started = performance.now();
    await m.close();
    expect(await waiting).toMatchObject({ code: 'HA_CLOSED' });
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(m.acquireMaster()).rejects.toMatchObject({
      code: 'HA_CLOSED',
      message: 'The HA pool manager is closed',
    });
    await expect(m.waitNextPoolCheck()).rejects.toMatchObject({ code: 'HA_CLOSED' });
  });

  it('hands out master connections for writes and replica ones for reads', async () => {
    const m = await manager();
    {
      await using master = await m.acquireMaster();
      expect((await master.query('SELECT pg_is_in_recovery() AS r')).rows).toEqual([{ r: false }]);
      expect(master.host).toBe(cluster.primary.address);
      expect(m.getPoolFreesize(master.pool)).toBe(9);
    }
    const replica = await m.acquire({ readOnly: true });
    expect((await replica.query('SELECT pg_is_in_recovery() AS r')).rows).toEqual([{ r: true }]);
    expect(cluster.replicas.map((r) => r.address)).toContain(replica.host);
    m.release(replica);
    expect(m.getPoolFreesize(m.pools[0]!)).toBe(10);
  });

  it('spreads reads over the replicas by each policy; the master only as weighted', async () => {
    const m = await manager({ balancer: 'round_robin' });
    const pool = new HaPool(m);
    const read = () => portOf((text) => pool.query(text, [], { readOnly: true }));
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) seen.push(await read());
    const [p, r1, r2] = cluster.nodes.map(serverPort);
    expect(seen).toEqual([r1, r2, r1, r2, r1, r2]);

    const weighted = await manager({ balancer: 'round_robin', masterAsReplicaWeight: 1 });
    const all = new HaPool(weighted);
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) {
      ports.add(await portOf((text) => all.query(text, [], { readOnly: true })));
    }
    expect(ports).toEqual(new Set([p, r1, r2]));

    // greedy (most free connections, random among equals) and random_weighted (by median
    // check time) both use every idle replica, and not the master.
    for (const balancer of ['greedy', 'random_weighted'] as const) {
      const spread = new HaPool(await manager({ balancer }));
      const used = new Set<number>();
      for (let i = 0; i < 40 && used.size < 2; i++) {
        used.add(await portOf((text) => spread.query(text, [], { readOnly: true })));
      }
      expect(used).toEqual(new Set([r1, r2]));
    }
  });

  it('replica failover: reads fall back to the master or wait and fail typed; replicas rejoin', async () => {
    const m = await manager();
    const [, r1, r2] = cluster.nodes;
    await Promise.all([cluster.kill(r1!), cluster.kill(r2!)]);
    await m.waitNextPoolCheck();
    await m.waitNextPoolCheck();
    expect(m.getReplicaPools()).toEqual([]);

    await using fallback = await m.acquireReplica({ fallbackMaster: true });
    expect(fallback.host).toBe(cluster.primary.address);

    const started = performance.now();
    const failure = await m.acquireReplica({ timeout: 400 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DependencyUnavailableError);
    expect((failure as Error).message).toMatch(
      /No replica connection to database postgres within 400 ms/,
    );
    expect((failure as Error).message).toContain(`${r1!.address} unavailable`);
    expect(failure).toMatchObject({
      code: 'HA_NO_REPLICA',
      // The reason of the last failed check (the proxy's reset, or a refused connection).
      details: expect.arrayContaining([
        { host: r1!.address, role: 'unavailable', reason: expect.any(String) },
      ]),
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);

    // A waiting acquire succeeds as soon as a replica is back.
    const waiting = m.acquireReplica({ timeout: 20_000 });
    await Promise.all([cluster.start(r1!), cluster.start(r2!)]);
    const back = await waiting;
    expect([r1!.address, r2!.address]).toContain(back.host);
    back.release();
    await m.ready(1, 2, 15_000);
  });

  it('keeps reads off a replica whose replay lags beyond the bound', async () => {
    const m = await manager({ maxLagBytes: 4096, balancer: 'round_robin' });
    const [primary, r1, r2] = cluster.nodes;
    const direct = new pg.Client({ connectionString: r1!.server.dsn() });
    await direct.connect();
    await direct.query('SELECT pg_wal_replay_pause()');
    try {
      const writer = new pg.Client({ connectionString: primary!.dsn() });
      await writer.connect();
      await writer.query(
        "INSERT INTO ha_items (note) SELECT repeat('x', 200) FROM generate_series(1, 100)",
      );
      await writer.end();
      await m.waitNextPoolCheck();
      await m.waitNextPoolCheck();
      const lag = m.metrics().find((h) => h.host === r1!.address);
      expect(lag?.lagBytes).toBeGreaterThan(4096);
      const pool = new HaPool(m);
      for (let i = 0; i < 4; i++) {
        expect(await portOf((text) => pool.query(text, [], { readOnly: true }))).toBe(
          serverPort(r2!),
        );
      }
      // With the other replica gone too, the lagging one is the freshest there is.
      r2!.proxy.set('cut');
      await m.waitNextPoolCheck();
      expect(await portOf((text) => pool.query(text, [], { readOnly: true }))).toBe(
        serverPort(r1!),
      );
    } finally {
      await direct.query('SELECT pg_wal_replay_resume()');
      await direct.end();
    }
  });

  it('reports per-host metrics and role-change events', async () => {
    const m = await manager({ pool: { maxSize: 4 } });
    const events: PoolManagerEvent[] = [];
    m.onEvent((e) => events.push(e));
    const [primary, r1] = cluster.nodes;
    const a = await m.acquireMaster();
    const b = await m.acquireMaster();
    const byHost = new Map(m.metrics().map((h) => [h.host, h]));
    expect(byHost.get(primary!.address)).toMatchObject({
      role: 'master',
      used: 2,
      free: 2,
      waiting: 0,
      lagBytes: undefined,
      roleChanges: 1, // unavailable → master
    });
    expect(byHost.get(r1!.address)).toMatchObject({ role: 'replica', used: 0, free: 4 });
    expect(byHost.get(r1!.address)?.lagBytes).toBeGreaterThanOrEqual(0);
    expect(byHost.get(r1!.address)?.lagSeconds).toBeGreaterThanOrEqual(0);
    for (const h of byHost.values()) {
      expect(h.medianResponseTime).toBeGreaterThan(0);
      expect(h.lastResponseTime).toBeGreaterThan(0);
    }
    a.release();
    b.release();

    r1!.proxy.set('cut');
    await m.waitNextPoolCheck();
    expect(m.metrics().find((h) => h.host === r1!.address)).toMatchObject({
      role: 'unavailable',
      roleChanges: 2,
    });
    r1!.proxy.set('pass');
    await m.ready(1, 2);
    expect(events.filter((e) => e.type !== 'error')).toEqual([
      { type: 'role-change', host: r1!.address, from: 'replica', to: 'unavailable' },
      { type: 'role-change', host: r1!.address, from: 'unavailable', to: 'replica' },
    ]);
  });

  it('emits check errors as typed events, once per distinct failure while a host stays down', async () => {
    const m = await manager({ refreshDelayMs: 50 });
    const events: PoolManagerEvent[] = [];
    m.onEvent((e) => events.push(e));
    const r1 = cluster.nodes[1]!;
    const pool = m.pools[1]!;
    r1.proxy.set('cut');
    const before = pool.checks;
    for (let i = 0; i < 6; i++) await m.waitNextPoolCheck();
    expect(pool.checks - before).toBeGreaterThanOrEqual(6);
    r1.proxy.set('pass');
    await m.ready(1, 2);

    const errors = events.flatMap((e) => (e.type === 'error' ? [e] : []));
    expect(errors.length).toBeGreaterThan(0);
    // Six failed checks or more, but each distinct failure once (the idle check connection
    // reset, then connecting refused).
    expect(errors.length).toBeLessThanOrEqual(3);
    for (const { host, error } of errors) {
      expect(host).toBe(r1.address);
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(['HA_CHECK_CONNECTION_LOST', 'HA_CHECK_FAILED']).toContain(error.code);
      expect(error.message).toContain(r1.address);
    }
    expect(errors.map((e) => e.error.code)).toContain('HA_CHECK_FAILED');
  });

  it('a frozen host: each check gives up within refreshTimeout, reported once as a timeout', async () => {
    const m = await manager({ refreshDelayMs: 50, refreshTimeoutMs: 200 });
    const events: PoolManagerEvent[] = [];
    m.onEvent((e) => events.push(e));
    const r1 = cluster.nodes[1]!;
    const pool = m.pools[1]!;
    r1.proxy.set('stall');
    try {
      const before = pool.checks;
      const started = performance.now();
      for (let i = 0; i < 4; i++) await m.waitNextPoolCheck();
      // Four rounds of checks, each bounded by the timeout rather than by the frozen host.
      expect(pool.checks - before).toBeGreaterThanOrEqual(4);
      expect(performance.now() - started).toBeLessThan(4 * (200 + 50) + 1_000);
      expect(m.roleOf(pool)).toBe('unavailable');
    } finally {
      r1.proxy.set('pass');
    }
    await m.ready(1, 2);
    const timeouts = events.flatMap((e) =>
      e.type === 'error' && e.error.code === 'HA_CHECK_TIMEOUT' ? [e] : [],
    );
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]?.error).toBeInstanceOf(DependencyTimeoutError);
    expect(timeouts[0]?.error.message).toBe(`Check of ${r1.address} got no answer within 200 ms`);
  });

  it('a listener that throws does not stop the checks or the other listeners', async () => {
    const m = await manager();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    const vitestListeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      const heard: PoolManagerEvent[] = [];
      m.onEvent(() => {
        throw new Error('listener bug');
      });
      m.onEvent((e) => heard.push(e));
      const r1 = cluster.nodes[1]!;
      r1.proxy.set('cut');
      await m.waitNextPoolCheck();
      r1.proxy.set('pass');
      await m.ready(1, 2);
      await sleep(10);
      expect(heard.filter((e) => e.type === 'role-change')).toHaveLength(2);
      expect(uncaught.length).toBe(heard.length);
      expect(uncaught.every((e) => (e as Error).message === 'listener bug')).toBe(true);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of vitestListeners) process.on('uncaughtException', l);
    }
  });

  it('checks a host at once when it fails, and often while callers wait for one', async () => {
    // Checks every 5 s: without both, a dead master would look alive for seconds, and a
    // caller would wait for the next round after it came back.
    const m = await manager({ refreshDelayMs: 5_000, acquireTimeoutMs: 3_000 });
    const db = new Database(new HaPool(m));
    const primary = cluster.primary;
    primary.proxy.set('cut');
    const failure = await m.acquireMaster({ timeout: 300 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DependencyUnavailableError);
    expect((failure as Error).message).toContain(`${primary.address} unavailable`);
    expect(failure).toMatchObject({ code: 'HA_NO_MASTER' });

    // A statement whose host cannot give a connection waits for one instead of failing.
    const waiting = db.fetchVal('SELECT 1');
    await sleep(300);
    primary.proxy.set('pass');
    const back = performance.now();
    expect(await waiting).toBe(1);
    expect(performance.now() - back).toBeLessThan(1_000);
  });

  it('backs the Database adapter: writes on the master, replica() reads, read-your-writes', async () => {
    const m = await manager();
    const db = new Database(new HaPool(m));
    expect(await db.fetchVal('SELECT pg_is_in_recovery()')).toBe(false);
    expect(await db.replica().fetchVal('SELECT pg_is_in_recovery()')).toBe(true);
    await readYourWrites(async () => {
      expect(await db.replica().fetchVal('SELECT pg_is_in_recovery()')).toBe(true);
      await db.execute("INSERT INTO ha_items (note) VALUES ('mine')");
      // The unit of work has written: its reads now see the master.
      expect(await db.replica().fetchVal('SELECT pg_is_in_recovery()')).toBe(false);
    });
    await db.transaction(async () => {
      expect(await db.replica().fetchVal('SELECT pg_is_in_recovery()')).toBe(false);
    });
  });

  it('PostgresService switches to the HA backend by configuration only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-ha-cfg-'));
    const yaml = join(dir, 'config.yaml');
    writeFileSync(
      yaml,
      [
        'postgres:',
        '  user: postgres',
        '  database: postgres',
        `  hosts: [${cluster.nodes.map((n) => n.address).join(', ')}]`,
        '  min_masters: 1',
        '  min_replicas: 2',
        '  refresh_delay: 0.1',
        '  balancer_policy: round_robin',
        '  max_lag_bytes: 1048576',
      ].join('\n'),
    );
    const postgres = new PostgresService({ backends: [haBackend] });
    const app = new Application(
      new ConfigService({ sections: [PostgresConfig], argv: ['--config', yaml], env: {} }),
      postgres,
    );
    await app.start();
    try {
      const db = await postgres.getDependency(Database);
      expect(db.pool.kind).toBe('ha');
      expect(await db.fetchVal('SELECT pg_is_in_recovery()')).toBe(false);
      expect(await db.replica().fetchVal('SELECT pg_is_in_recovery()')).toBe(true);
      await postgres.checkHealth();
      // Fewer replicas than min_replicas: not ready.
      cluster.nodes[2]!.proxy.set('cut');
      await (db.pool as HaPool).manager.waitNextPoolCheck();
      await expect(postgres.checkHealth()).rejects.toThrow(DependencyUnavailableError);
    } finally {
      await app.stop();
    }
  });

  it('refuses bad options with typed errors', async () => {
    await expect(
      PoolManager.create({ dsn: cluster.dsn(), refreshDelay: 1 } as never),
    ).rejects.toThrow(/refreshDelay/);
    await expect(PoolManager.create({ dsn: 'postgresql://' })).rejects.toThrow(/at least one host/);
    await expect(
      PoolManager.create({ dsn: cluster.dsn(), masterAsReplicaWeight: 2 }),
    ).rejects.toThrow(/between 0 and 1/);
    await expect(
      PoolManager.create({ dsn: cluster.dsn(), balancer: 'fastest' as never }),
    ).rejects.toThrow(/greedy, random_weighted, round_robin/);
    for (const bad of [
      { refreshDelayMs: 0 },
      { refreshTimeoutMs: Number.NaN },
      { acquireTimeoutMs: -1 },
      { stopwatchWindowSize: 0 },
      { maxLagBytes: Number.POSITIVE_INFINITY },
    ]) {
      const failure = await PoolManager.create({ dsn: cluster.dsn(), ...bad }).catch((e) => e);
      expect(failure).toBeInstanceOf(UsageError);
      expect(failure.code).toBe('INVALID_OPTION');
      expect(failure.details).toEqual([
        { path: Object.keys(bad)[0], message: expect.stringMatching(/finite number/) },
      ]);
    }

    const m = await manager();
    await expect(m.acquire({ timeout: Number.NaN })).rejects.toThrow(UsageError);
    await expect(m.acquire({ masterAsReplicaWeight: -0.5 })).rejects.toThrow(/between 0 and 1/);
    await expect(m.acquire({ readonly: true } as never)).rejects.toThrow(/readonly unknown option/);
  });
});
