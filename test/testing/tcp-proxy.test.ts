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

describe('TcpProxy under bulk traffic', () => {
  it('stall stops a bulk transfer mid-way, and pass delivers every byte', async () => {
    const { createServer, connect } = await import('node:net');
    let received = 0;
    const sink = createServer((socket) => {
      socket.on('error', () => {}); // reset when the proxy closes
      socket.on('data', (d: Buffer) => {
        received += d.length;
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    const port = (sink.address() as { port: number }).port;
    const bulk = await TcpProxy.start('127.0.0.1', port);
    const client = connect(bulk.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    await new Promise((r) => setTimeout(r, 50)); // the proxy has connected upstream
    // Writes pile up behind backpressure; stalling mid-transfer must stop them all, also
    // when the upstream side drains what it already had.
    const chunk = Buffer.alloc(64 * 1024, 1);
    const total = 64 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) client.write(chunk);
    await new Promise((r) => setTimeout(r, 20));
    bulk.set('stall');
    await new Promise((r) => setTimeout(r, 300));
    const settled = received;
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toBe(settled);
    expect(received).toBeLessThan(total);
    bulk.set('pass');
    for (let i = 0; i < 200 && received < total; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(total);
    client.destroy();
    await bulk.close();
    await new Promise((r) => sink.close(r));
  });
});
