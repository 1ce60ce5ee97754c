// Client timeouts and the stop of an HttpService over a real listening server (issue 13.6);
// the same over a real process with SIGTERM is in stop-process.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigService, Service } from 'libretto';
import { HttpConfig, type HttpService, route } from 'libretto/http';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { startHttp } from './http-harness.js';

const routes = [
  route.post('/uploads', { body: z.object({ data: z.string() }) }, ({ body }) => ({
    length: body.data.length,
  })),
  route.get('/wait', { query: z.object({ ms: z.number() }) }, async ({ query }) => {
    await new Promise((resolve) => setTimeout(resolve, query.ms));
    return { waited: query.ms };
  }),
];

/** A raw connection: what it received once the server closed it. */
function rawClient(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  return {
    socket,
    closed,
    received: () => received,
    send: (text: string) => new Promise<void>((resolve) => socket.write(text, () => resolve())),
  };
}

function listening(http: HttpService): boolean {
  try {
    return http.url !== '';
  } catch {
    return false;
  }
}

const STALLED_UPLOAD =
  'POST /uploads HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data":"';

describe('timeout settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'libretto-http-stop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults: 30 s request, 10 s headers, 72 s keep-alive, 5 s shutdown', async () => {
    const s = await startHttp(routes);
    try {
      expect(s.http.settings).toMatchObject({
        requestTimeout: 30,
        headersTimeout: 10,
        keepAliveTimeout: 72,
        shutdownTimeout: 5,
      });
      expect((await s.fetch('/wait?ms=0')).headers.get('keep-alive')).toBe('timeout=72');
    } finally {
      await s.stop();
    }
  });

  it('come from the api: section and the environment; the constructor wins', async () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(
      path,
      'api:\n  request_timeout: 20\n  headers_timeout: 4\n  keep_alive_timeout: 65\n  shutdown_timeout: 8\n',
    );
    const s = await startHttp(routes, {
      http: { keepAliveTimeout: 61 },
      services: [
        new ConfigService({
          sections: [HttpConfig],
          path,
          argv: [],
          env: { LIBRETTO_API__SHUTDOWN_TIMEOUT: '2.5' },
        }),
      ],
    });
    try {
      expect(s.http.settings).toMatchObject({
        requestTimeout: 20,
        headersTimeout: 4,
        keepAliveTimeout: 61,
        shutdownTimeout: 2.5,
      });
      expect((await s.fetch('/wait?ms=0')).headers.get('keep-alive')).toBe('timeout=61');
    } finally {
      await s.stop();
    }
  });

  it('refuses a headers timeout over the request timeout, and non-positive values', async () => {
    await expect(
      startHttp(routes, { http: { requestTimeout: 5, headersTimeout: 10 } }),
    ).rejects.toThrow('HttpService: headersTimeout (10 s) must not exceed requestTimeout (5 s)');
    await expect(startHttp(routes, { http: { shutdownTimeout: 0 } })).rejects.toThrow(
      'HttpService: shutdownTimeout must be a positive number of seconds',
    );
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'api:\n  request_timeout: -1\n');
    await expect(
      startHttp(routes, {
        services: [new ConfigService({ sections: [HttpConfig], path, argv: [], env: {} })],
      }),
    ).rejects.toThrow(/api\.request_timeout .*:2\)/);
  });
});

describe('client timeouts while running', () => {
  it('a body that stalls past request_timeout is answered 408 and its connection closed', async () => {
    const s = await startHttp(routes, { http: { requestTimeout: 0.5, headersTimeout: 0.5 } });
    try {
      const client = rawClient(s.url);
      await client.send(STALLED_UPLOAD);
      const answer = await client.closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // In the envelope, with a request id, as every answer.
      expect(answer).toMatch(/\r\nx-request-id: \S+\r\n/i);
      expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
      // The server goes on serving.
      expect((await s.json('/wait?ms=0')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('headers that stall past headers_timeout are answered 408 and the connection closed', async () => {
    const s = await startHttp(routes, { http: { headersTimeout: 0.5 } });
    try {
      const client = rawClient(s.url);
      await client.send('GET /wait?ms=0 HTTP/1.1\r\nHost: app\r\n');
      const answer = await client.closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // In the envelope, with a request id, as every answer.
      expect(answer).toMatch(/\r\nx-request-id: \S+\r\n/i);
      expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
    } finally {
      await s.stop();
    }
  });
});

describe('HttpService.stop()', () => {
  it('destroys a stalled upload at shutdown_timeout, so the stop ends and the services below stop', async () => {
    const events: string[] = [];
    class Below extends Service {
      override stop() {
        events.push('Below stopped');
      }
    }
    const s = await startHttp(routes, {
      http: { shutdownTimeout: 0.3 },
      services: [new Below()],
    });
    const client = rawClient(s.url);
    await client.send(STALLED_UPLOAD);
    // The server has read the stalled request once it answered a later one.
    expect((await s.json('/wait?ms=0')).status).toBe(200);

    await s.stop();
    expect(await client.closed).toBe('');
    expect(events).toEqual(['Below stopped']);
    expect(
      s.log.lines.filter(
        (l) =>
          l.msg === 'requests still in flight at the shutdown timeout: closing their connections',
      ),
    ).toMatchObject([{ level: 40, connections: 1, shutdownTimeout: 0.3 }]);
  });

  it('lets a request in flight finish, answered with Connection: close; new connections are refused', async () => {
    const s = await startHttp(routes);
    const client = rawClient(s.url);
    await client.send('GET /wait?ms=300 HTTP/1.1\r\nHost: app\r\nConnection: keep-alive\r\n\r\n');
    // Started once a later request on another connection was answered.
    expect((await s.json('/wait?ms=0')).status).toBe(200);

    const stopping = s.stop();
    await expect.poll(() => listening(s.http)).toBe(false);
    const { hostname, port } = new URL(s.url);
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect(Number(port), hostname, () => resolve('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    });
    expect(refused).toBe('ECONNREFUSED');
    await stopping;
    const answer = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(answer).toContain('"waited":300');
    expect(s.log.text()).not.toContain('requests still in flight');
  });

  it('closes idle keep-alive connections at once instead of waiting for keep_alive_timeout', async () => {
    const s = await startHttp(routes, { http: { shutdownTimeout: 60 } });
    const client = rawClient(s.url);
    await client.send('GET /wait?ms=0 HTTP/1.1\r\nHost: app\r\n\r\n');
    await expect.poll(() => client.received()).toContain('"waited":0');
    expect(client.received().toLowerCase()).toContain('connection: keep-alive');

    await s.stop();
    await client.closed;
    expect(s.log.text()).not.toContain('requests still in flight');
  });
});
