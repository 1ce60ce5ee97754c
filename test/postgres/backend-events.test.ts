// PostgresService logs what its backend reports — role changes, failovers, fencing, split
// brains — at warn, one line each with the hosts. The backend here is a pg pool of its own
// plus events it reports as the HA manager does.
import { PgPool, type PostgresBackend } from 'libretto/postgres';
import type { PoolManagerEvent } from 'libretto/postgres/ha';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { startService } from './service-harness.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const A = '10.0.0.1:5432';
const B = '10.0.0.2:5432';

/** A single-server backend that, once open, reports a frozen master, a promotion, a thaw and a split brain. */
const reporting: PostgresBackend<'pg'> = {
  name: 'pg',
  async open(settings, context) {
    const pool = await PgPool.create({ connectionString: settings.dsn as string });
    context.onEvent({ type: 'role-change', host: A, from: 'unavailable', to: 'master' });
    context.onEvent({ type: 'role-change', host: B, from: 'unavailable', to: 'replica' });
    context.onEvent({ type: 'role-change', host: A, from: 'master', to: 'unavailable' });
    context.onEvent({ type: 'role-change', host: B, from: 'replica', to: 'master' });
    context.onEvent({ type: 'split-brain', hosts: [A, B], master: B });
    context.onEvent({ type: 'split-brain', hosts: [A, B] });
    context.onEvent({
      type: 'fencing',
      host: A,
      reason: `reports master on timeline 1, older than ${B} on timeline 2`,
    });
    context.onEvent({
      type: 'error',
      host: A,
      error: { code: 'HA_CHECK_TIMEOUT', message: `The check of ${A} timed out after 1000 ms` },
    });
    return pool;
  },
};

describe('backend events in the service log', () => {
  it('one warn line each, with the hosts', async () => {
    const { app, log } = await startService({ dsn: server.dsn, backends: [reporting] });
    await app.stop();
    const warnings = log.lines
      .filter((l) => l.level === 40)
      .map(({ level: _l, time: _t, pid: _p, hostname: _h, service: _s, ...rest }) => rest);
    expect(warnings).toEqual([
      {
        host: A,
        from: 'unavailable',
        to: 'master',
        msg: `database host ${A} changed role from unavailable to master`,
      },
      {
        host: B,
        from: 'unavailable',
        to: 'replica',
        msg: `database host ${B} changed role from unavailable to replica`,
      },
      {
        host: A,
        from: 'master',
        to: 'unavailable',
        msg: `database host ${A} changed role from master to unavailable`,
      },
      {
        host: B,
        from: 'replica',
        to: 'master',
        msg: `database host ${B} changed role from replica to master`,
      },
      { from: A, to: B, msg: `database failover: the master moved from ${A} to ${B}` },
      {
        hosts: [A, B],
        master: B,
        msg: `several database hosts report master: ${A}, ${B}; writes go to ${B}`,
      },
      {
        hosts: [A, B],
        master: null,
        msg: `several database hosts report master: ${A}, ${B}; none takes writes`,
      },
      {
        host: A,
        reason: `reports master on timeline 1, older than ${B} on timeline 2`,
        msg: `database host ${A} fenced: reports master on timeline 1, older than ${B} on timeline 2`,
      },
      { host: A, code: 'HA_CHECK_TIMEOUT', msg: `The check of ${A} timed out after 1000 ms` },
    ]);
  });

  it("the HA manager's events are backend events: manager.onEvent(context.onEvent) type-checks", () => {
    expectTypeOf<PoolManagerEvent>().toExtend<
      Parameters<PostgresBackend['open']>[1]['onEvent'] extends (e: infer E) => void ? E : never
    >();
  });
});
