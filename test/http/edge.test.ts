import * as http from 'node:http';
import { Readable } from 'node:stream';
import { UsageError } from 'libretto';
import { raw, route } from 'libretto/http';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { postJson, startHttp } from './http-harness.js';

let handled = 0;
const misuse = () =>
  new UsageError('Repository: options.pageSzie unknown option', { code: 'INVALID_OPTION' });

const server = await startHttp(
  [
    route.post('/upload', { body: z.object({ name: z.string() }) }, ({ body }) => {
      handled++;
      return body;
    }),
    route.post('/free', {}, ({ body }) => {
      handled++;
      return body;
    }),
    route.get(
      '/search',
      { query: z.object({ q: z.string(), tags: z.array(z.string()).optional() }) },
      ({ query }) => {
        handled++;
        return query;
      },
    ),
    route.get('/files/:name', {}, ({ params }) => {
      handled++;
      return params;
    }),
    route.get('/conflict', {}, () => {
      throw new UsageError('never seen', { code: 'INVALID_OPTION' });
    }),
    route.get('/stream-early', {}, () =>
      raw(
        new Readable({
          read() {
            this.destroy(misuse());
          },
        }),
        { contentType: 'text/plain' },
      ),
    ),
    route.get('/stream-late', {}, () =>
      raw(
        Readable.from(
          (async function* () {
            yield 'first chunk\n';
            await new Promise((resolve) => setTimeout(resolve, 10));
            throw misuse();
          })(),
        ),
        { contentType: 'text/plain' },
      ),
    ),
  ],
  { http: { bodyLimit: 64 * 1024 } },
);
afterAll(() => server.stop());

const OVER = Buffer.alloc(6 * 1024 * 1024, 'a');

describe('a 413 reaches Node clients still sending the body', () => {
  it.each([
    ['with Content-Length', OVER],
    ['chunked', () => Readable.toWeb(Readable.from([OVER]))],
  ] as const)('fetch, %s', async (_, body) => {
    const response = await fetch(`${server.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'function' ? (body() as ReadableStream) : body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it.each([
    ['with Content-Length', true],
    ['chunked', false],
  ])('http.request, %s: the answer and no EPIPE or reset', async (_, declared) => {
    const outcome = await new Promise<{
      status: number | undefined;
      body: string;
      errors: string[];
    }>((resolve) => {
      const errors: string[] = [];
      let status: number | undefined;
      let body = '';
      const request = http.request(`${server.url}/upload`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(declared ? { 'content-length': OVER.length } : {}),
        },
      });
      request.on('response', (response) => {
        status = response.statusCode;
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
      });
      request.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? ''));
      // Done once the whole body went out and the answer was read (or the request failed).
      request.on('close', () => resolve({ status, body, errors }));
      request.end(OVER);
    });
    expect(outcome.errors).toEqual([]);
    expect(outcome.status).toBe(413);
    expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('the connection then serves the next requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: Buffer | string) =>
      new Promise<{ status: number | undefined; socket: unknown }>((resolve, reject) => {
        const request = http.request(`${server.url}/upload`, {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        });
        request.on('response', (response) => {
          response.resume();
          response.on('end', () =>
            resolve({ status: response.statusCode, socket: request.socket }),
          );
        });
        request.on('error', reject);
        request.end(body);
      });
    const first = await send(OVER);
    const second = await send('{"name":"n"}');
    // A body refused whole (malformed JSON, a NUL) leaves the connection open as well.
    const third = await send('{"name":');
    const fourth = await send('{"name":"\\u0000"}');
    const fifth = await send('{"name":"n"}');
    expect([first, second, third, fourth, fifth].map((r) => r.status)).toEqual([
      413, 200, 400, 422, 200,
    ]);
    expect(new Set([first, second, third, fourth, fifth].map((r) => r.socket)).size).toBe(1);
    agent.destroy();
  });
});

describe('a NUL character is refused as input, before the handler', () => {
  it.each([
    [
      'a body field',
      '/upload',
      postJson({ name: 'a\u0000b' }),
      422,
      'INVALID_BODY',
      'body',
      'name',
    ],
    [
      'a nested body string without a schema',
      '/free',
      postJson({ list: [{ text: 'x' }, { text: 'y\u0000' }] }),
      422,
      'INVALID_BODY',
      'body',
      'list.1.text',
    ],
    ['a body key', '/free', postJson({ 'k\u0000': 1 }), 422, 'INVALID_BODY', 'body', 'k\\u0000'],
    ['a query value', '/search?q=a%00b', undefined, 400, 'INVALID_QUERY_PARAMS', 'query', 'q'],
    [
      'a repeated query value',
      '/search?q=a&tags=x&tags=%00',
      undefined,
      400,
      'INVALID_QUERY_PARAMS',
      'query',
      'tags.1',
    ],
    ['a path parameter', '/files/a%00.txt', undefined, 400, 'INVALID_PATH_PARAMS', 'path', 'name'],
  ] as const)('%s', async (_, path, init, status, code, location, field) => {
    const before = handled;
    const response = await server.json(path, init);
    expect(response.status).toBe(status);
    expect(response.body.error).toEqual({
      message: expect.any(String),
      code,
      details: [{ location, path: field, message: 'must not contain a NUL character (\\u0000)' }],
    });
    expect(handled).toBe(before);
  });

  it('other control characters and the same text without NUL pass', async () => {
    const response = await server.json('/upload', postJson({ name: 'a\u0001b\uFFFF' }));
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ name: 'a\u0001b\uFFFF' });
  });
});

describe('client mistakes are logged at debug, server bugs at error', () => {
  it('each 4xx is one debug line with the request id, status and code', async () => {
    await server.fetch('/search', { headers: { 'x-request-id': 'client-1' } });
    await server.fetch('/nowhere', { headers: { 'x-request-id': 'client-2' } });
    await server.fetch('/upload', {
      ...postJson('{'),
      headers: { 'x-request-id': 'client-3', 'content-type': 'application/json' },
    });
    for (const [id, status, code] of [
      ['client-1', 400, 'INVALID_QUERY_PARAMS'],
      ['client-2', 404, 'ROUTE_NOT_FOUND'],
      ['client-3', 400, 'MALFORMED_JSON'],
    ] as const) {
      const lines = server.log.lines.filter((l) => l.reqId === id && l.msg !== 'request');
      expect(lines).toEqual([
        expect.objectContaining({ level: 20, msg: 'request refused', status, code }),
      ]);
    }
  });

  it('a UsageError from a stream before its first byte is a logged 500', async () => {
    const response = await server.fetch('/stream-early', {
      headers: { 'x-request-id': 'stream-1' },
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      error: { code: 'INTERNAL_SERVER_ERROR', requestId: 'stream-1' },
    });
    const lines = server.log.lines.filter((l) => l.reqId === 'stream-1' && l.level === 50);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'request failed', code: 'INVALID_OPTION' }),
    ]);
  });

  it('a UsageError from a stream after its headers is logged with the request id', async () => {
    const response = await server.fetch('/stream-late', {
      headers: { 'x-request-id': 'stream-2' },
    });
    expect(response.status).toBe(200);
    // The answer is cut: the body cannot be read to its end.
    await expect(response.text()).rejects.toThrow();
    const lines = server.log.lines.filter((l) => l.reqId === 'stream-2' && l.level === 50);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'response stream failed', code: 'INVALID_OPTION' }),
    ]);
  });
});
