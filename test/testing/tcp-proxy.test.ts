import { startPostgres, TcpProxy, type TestPostgres } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestPostgres;
let proxy: TcpProxy;
beforeAll(async () => {
  server = await startPostgres();
  proxy = await TcpProxy.start('127.0.0.1', server.port);
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

const client = async () => {
  const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  return c;
};
const settle = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p.then(
      (v) => ({ state: 'done' as const, v }),
      (e: Error) => ({ state: 'failed' as const, e }),
    ),
    new Promise<{ state: 'pending' }>((r) => setTimeout(() => r({ state: 'pending' }), ms)),
  ]);

describe('TcpProxy', () => {
  it('passes traffic through', async () => {
    const c = await client();
    expect((await c.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    expect(proxy.connections).toBe(1);
    await c.end();
  });

  it('cut resets open connections and refuses new ones, until pass', async () => {
    const c = await client();
    proxy.set('cut');
    const result = await settle(c.query('SELECT 1'), 2000);
    expect(result.state).toBe('failed');
    await expect(client()).rejects.toThrow();
    proxy.set('pass');
    const again = await client();
    expect((await again.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await again.end();
  });

  it('stall holds a query without an answer or an error, and delivers it on pass', async () => {
    const c = await client();
    proxy.set('stall');
    const pending = c.query('SELECT 7 AS seven');
    expect((await settle(pending, 500)).state).toBe('pending');
    // New connections are accepted but get no answer either.
    const late = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'postgres' });
    late.on('error', () => {});
    const connecting = late.connect();
    expect((await settle(connecting, 300)).state).toBe('pending');
    proxy.set('pass');
    expect((await pending).rows).toEqual([{ seven: 7 }]);
    await connecting;
    expect((await late.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await Promise.all([c.end(), late.end()]);
  });
});
