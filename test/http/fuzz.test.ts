import * as net from 'node:net';
import { route } from 'libretto/http';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { startHttp } from './http-harness.js';

// A small deterministic PRNG, so a failure can be replayed.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const Item = z.object({
  name: z.string().min(1).max(50),
  price: z.number().nonnegative(),
  tags: z.array(z.string()).max(5).default([]),
  meta: z.record(z.string(), z.string()).optional(),
});

const server = await startHttp([
  route.get(
    '/items/:id',
    {
      params: z.object({ id: z.number().int() }),
      query: z.object({ full: z.boolean().optional(), tag: z.array(z.string()).optional() }),
    },
    ({ params, query }) => ({ id: params.id, full: query.full ?? false }),
  ),
  route.post('/items', { body: Item }, ({ body }) => body),
  route.put(
    '/items/:id',
    { params: z.object({ id: z.uuid() }), body: Item.partial() },
    ({ body }) => body,
  ),
  route.get(
    '/search',
    { query: z.strictObject({ q: z.string().max(100), page: z.number().int().min(1).default(1) }) },
    ({ query }) => query,
  ),
]);
afterAll(() => server.stop());

const PATHS = [
  '/items/1',
  '/items/-0',
  '/items/1e400',
  '/items/NaN',
  '/items/%00',
  '/items/%E2%82%AC',
  '/items/..%2F..%2Fetc%2Fpasswd',
  '/items/😀',
  `/items/${'9'.repeat(400)}`,
  '/items',
  '/items/00000000-0000-4000-8000-000000000000',
  '/search',
  '/search/',
  '//items',
  '/ITEMS/1',
  `/${'a'.repeat(5000)}`,
  '/%',
];
const QUERIES = [
  '',
  '?full=true',
  '?full=maybe',
  '?tag=a&tag=b&tag=c',
  '?q=hello',
  '?q=hello&page=2',
  '?q=x&page=1e400',
  '?q=x&page=-1',
  '?__proto__[admin]=1',
  '?constructor[prototype][x]=1',
  '?a[b][c]=1',
  `?q=${'x'.repeat(1000)}`,
  '?q=%F0%9F%98%80&page=0x10',
  '?%=%',
  '?q',
];
const TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
];

function body(rand: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const depth = Math.floor(rand() * 3000);
  return pick([
    () => JSON.stringify({ name: 'n', price: rand() * 100, tags: ['a'] }),
    () => '{"name": "n", "price": 1e400}',
    () => `{"name": "${'\u0000\uFFFF\uD800'.repeat(3)}", "price": 1}`,
    () => '{"__proto__": {"admin": true}, "name": "n", "price": 1}',
    () => '{"constructor": {"prototype": {"admin": true}}, "name": "n", "price": 1}',
    () => `${'['.repeat(depth)}${']'.repeat(depth)}`,
    () => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    () =>
      JSON.stringify({
        name: 'n',
        price: 1,
        meta: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'])),
      }),
    () => '{"name": "n", "price": "1"}',
    () => 'null',
    () => '[]',
    () => '"just a string"',
    () => '{"name": "n", "price": 1,}',
    () => '\uFEFF{"name": "n", "price": 1}',
    () => String.fromCharCode(...Array.from({ length: 64 }, () => Math.floor(rand() * 65536))),
    () => '{"name": "n", "price": 1, "tags": [1, {}, null, []]}',
    () => `{"name": "${'x'.repeat(100_000)}", "price": 1}`,
    () => '',
    () => '{"name":"n","price":123456789012345678901234567890}',
  ])();
}

describe('fuzz: hostile requests never cause a 500 or a crash', () => {
  it('answers 3,000 random requests with 2xx/4xx envelopes', async () => {
    const rand = prng(20261121);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
    const failures: string[] = [];
    let sent = 0;
    for (let batch = 0; batch < 60; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const method = pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
          const path = pick(PATHS) + pick(QUERIES);
          const hasBody = method !== 'GET' && method !== 'HEAD' && rand() < 0.9;
          const type = pick(TYPES);
          const init: RequestInit = { method };
          if (hasBody) {
            init.body = body(rand);
            if (type !== '') init.headers = { 'content-type': type };
          }
          sent++;
          let response: Response;
          try {
            response = await fetch(`${server.url}${path}`, init);
          } catch (error) {
            failures.push(
              `${method} ${path.slice(0, 80)}: network error ${(error as Error).message}`,
            );
            return;
          }
          const text = await response.text();
          if (response.status >= 500)
            failures.push(
              `${method} ${path.slice(0, 80)} → ${response.status} ${text.slice(0, 120)}`,
            );
          if (
            method !== 'HEAD' &&
            response.status !== 204 &&
            response.headers.get('content-type')?.startsWith('application/json')
          ) {
            const parsed = JSON.parse(text) as { success?: unknown };
            if (typeof parsed.success !== 'boolean')
              failures.push(`${method} ${path.slice(0, 80)}: not an envelope`);
          }
        }),
      );
    }
    expect(sent).toBe(3000);
    expect(failures).toEqual([]);
    expect((await server.json('/items/5')).status).toBe(200);
  }, 120_000);
});

/** One answer read off a raw socket: status line, headers, JSON body, and whether it closed. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  closed: boolean;
}

/**
 * Writes `bytes` on a new connection and reads the first answer: complete once its
 * `content-length` bytes arrived; `closed` tells whether the server then closed the socket.
 */
function rawRequest(bytes: string | Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let answer: RawAnswer | undefined;
    const parse = (): RawAnswer | undefined => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine = '', ...lines] = received
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      const body = received.subarray(end + 4);
      if (!(body.length >= length)) return undefined;
      return {
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: JSON.parse(body.subarray(0, length).toString('utf8')),
        closed: false,
      };
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      answer ??= parse();
      // An answer that keeps the connection open: nothing more to wait for.
      if (answer !== undefined && answer.headers.connection !== 'close') socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (answer === undefined) reject(new Error(`no answer: ${received.toString('latin1')}`));
      else resolve({ ...answer, closed: answer.headers.connection === 'close' });
    });
    socket.write(bytes);
  });
}

const host = 'Host: localhost\r\n';
const json = 'Content-Type: application/json\r\n';
const item = '{"name":"n","price":1}';

// Every request a hostile or broken client can send, down to the bytes: what Node's parser
// refuses, what Node would answer in its own format, and what reaches the router oddly.
const RAW_CASES: readonly (readonly [string, string | Buffer, number, string])[] = [
  [
    'control byte in a header value',
    `GET /items/1 HTTP/1.1\r\n${host}X-A: a\x01b\r\n\r\n`,
    400,
    'INVALID_HEADER',
  ],
  [
    'NUL in a header value',
    `GET /items/1 HTTP/1.1\r\n${host}X-A: a\x00b\r\n\r\n`,
    400,
    'INVALID_HEADER',
  ],
  [
    'space in a header name',
    `GET /items/1 HTTP/1.1\r\n${host}Bad Name: x\r\n\r\n`,
    400,
    'INVALID_HEADER',
  ],
  [
    'space before the colon',
    `GET /items/1 HTTP/1.1\r\nHost : localhost\r\n\r\n`,
    400,
    'INVALID_HEADER',
  ],
  [
    'folded header (obs-fold)',
    `GET /items/1 HTTP/1.1\r\n${host}X-A: a\r\n b\r\n\r\n`,
    400,
    'INVALID_HEADER',
  ],
  ['HTTP/9.9', `GET /items/1 HTTP/9.9\r\n${host}\r\n`, 400, 'UNSUPPORTED_HTTP_VERSION'],
  ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'UNSUPPORTED_HTTP_VERSION'],
  [
    'not HTTP/ in the request line',
    `GET /items/1 HTTQ/1.1\r\n${host}\r\n`,
    400,
    'MALFORMED_REQUEST',
  ],
  ['bare LF line ends', 'GET /items/1 HTTP/1.1\nHost: localhost\n\n', 400, 'MALFORMED_REQUEST'],
  ['a raw NUL in the URL', `GET /items/\x00 HTTP/1.1\r\n${host}\r\n`, 400, 'MALFORMED_URL'],
  [
    'Content-Length: abc',
    `POST /items HTTP/1.1\r\n${host}${json}Content-Length: abc\r\n\r\n`,
    400,
    'INVALID_CONTENT_LENGTH',
  ],
  [
    'Content-Length: -1',
    `POST /items HTTP/1.1\r\n${host}${json}Content-Length: -1\r\n\r\n`,
    400,
    'INVALID_CONTENT_LENGTH',
  ],
  [
    'Content-Length with Transfer-Encoding (CL.TE)',
    `POST /items HTTP/1.1\r\n${host}${json}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
    'AMBIGUOUS_BODY_LENGTH',
  ],
  [
    'two Content-Lengths',
    `POST /items HTTP/1.1\r\n${host}${json}Content-Length: 22\r\nContent-Length: 5\r\n\r\n${item}`,
    400,
    'AMBIGUOUS_BODY_LENGTH',
  ],
  [
    'two equal Content-Lengths',
    `POST /items HTTP/1.1\r\n${host}${json}Content-Length: 22\r\nContent-Length: 22\r\n\r\n${item}`,
    400,
    'AMBIGUOUS_BODY_LENGTH',
  ],
  [
    'Transfer-Encoding: chunked, gzip',
    `POST /items HTTP/1.1\r\n${host}${json}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`,
    400,
    'AMBIGUOUS_BODY_LENGTH',
  ],
  [
    'Transfer-Encoding: xchunked',
    `POST /items HTTP/1.1\r\n${host}${json}Transfer-Encoding: xchunked\r\n\r\n${item}`,
    400,
    'AMBIGUOUS_BODY_LENGTH',
  ],
  [
    'chunked, then identity (TE.TE)',
    `POST /items HTTP/1.1\r\n${host}${json}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n16\r\n${item}\r\n0\r\n\r\n`,
    400,
    'AMBIGUOUS_BODY_LENGTH',
  ],
  [
    'a chunk size that is not hex',
    `POST /items HTTP/1.1\r\n${host}${json}Transfer-Encoding: chunked\r\n\r\nzz\r\n${item}\r\n0\r\n\r\n`,
    400,
    'MALFORMED_REQUEST',
  ],
  ['an unknown method', `FOO /items/1 HTTP/1.1\r\n${host}\r\n`, 400, 'UNSUPPORTED_METHOD'],
  [
    'TLS bytes on the HTTP port',
    Buffer.from('160301020001000001fc0303', 'hex'),
    400,
    'UNSUPPORTED_METHOD',
  ],
  ['PROPFIND on a route', `PROPFIND /items/1 HTTP/1.1\r\n${host}\r\n`, 400, 'UNSUPPORTED_METHOD'],
  ['TRACE on no route', `TRACE /nowhere HTTP/1.1\r\n${host}\r\n`, 400, 'UNSUPPORTED_METHOD'],
  [
    'CONNECT',
    `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`,
    400,
    'UNSUPPORTED_METHOD',
  ],
  [
    'headers over 16 KiB',
    `GET /items/1 HTTP/1.1\r\n${host}X-A: ${'a'.repeat(20_000)}\r\n\r\n`,
    431,
    'HEADERS_TOO_LARGE',
  ],
  [
    'a URL over 16 KiB',
    `GET /search?q=${'a'.repeat(20_000)} HTTP/1.1\r\n${host}\r\n`,
    414,
    'URI_TOO_LONG',
  ],
  [
    'a URL over 8 KiB',
    `GET /search?q=${'a'.repeat(10_000)} HTTP/1.1\r\n${host}\r\n`,
    414,
    'URI_TOO_LONG',
  ],
  ['HTTP/1.1 without Host', 'GET /items/1 HTTP/1.1\r\n\r\n', 400, 'MISSING_HOST'],
  [
    'Expect other than 100-continue',
    `GET /items/1 HTTP/1.1\r\n${host}Expect: teapot\r\n\r\n`,
    417,
    'EXPECTATION_FAILED',
  ],
  [
    'a %00 in a path parameter',
    `GET /items/%00 HTTP/1.1\r\n${host}\r\n`,
    400,
    'INVALID_PATH_PARAMS',
  ],
  [
    'a %00 in a query value',
    `GET /search?q=a%00b HTTP/1.1\r\n${host}\r\n`,
    400,
    'INVALID_QUERY_PARAMS',
  ],
  [
    'an unknown path of 5,000 characters',
    `GET /${'a'.repeat(5000)} HTTP/1.1\r\n${host}\r\n`,
    404,
    'ROUTE_NOT_FOUND',
  ],
  [
    'a known path, a wrong method',
    `DELETE /search HTTP/1.1\r\n${host}\r\n`,
    405,
    'METHOD_NOT_ALLOWED',
  ],
  [
    'a body over bodyLimit',
    `POST /items HTTP/1.1\r\n${host}${json}Content-Length: 2000000\r\n\r\n{`,
    413,
    'PAYLOAD_TOO_LARGE',
  ],
];

// The llhttp errors that close the connection (RFC 9112: after a framing error the rest of
// the stream cannot be trusted), and Node's own refusals that close it too.
const CLOSING = new Set([
  'INVALID_HEADER',
  'UNSUPPORTED_HTTP_VERSION',
  'MALFORMED_REQUEST',
  'MALFORMED_URL',
  'INVALID_CONTENT_LENGTH',
  'AMBIGUOUS_BODY_LENGTH',
  'HEADERS_TOO_LARGE',
  'MISSING_HOST',
  'EXPECTATION_FAILED',
]);

describe('raw-socket corpus: every answer is an envelope with a request id', () => {
  it.each(RAW_CASES.map(([name, bytes, status, code]) => [name, status, code, bytes] as const))(
    '%s → %i %s',
    async (name, status, code, bytes) => {
      const answer = await rawRequest(bytes);
      expect(answer.status, name).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['x-request-id']).toMatch(/^[\w.:-]{1,128}$/);
      expect(answer.body).toEqual({
        success: false,
        data: null,
        error: { message: expect.any(String), code, details: expect.any(Array) },
      });
      if (CLOSING.has(code)) expect(answer.closed).toBe(true);
    },
  );

  it('refusals are logged at debug with the request id, code and status, never at error', async () => {
    const answer = await rawRequest(`GET /items/1 HTTP/1.1\r\n${host}X-A: \x01\r\n\r\n`);
    const id = answer.headers['x-request-id'];
    const lines = server.log.lines.filter((l) => l.reqId === id);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        msg: 'request refused',
        status: 400,
        code: 'INVALID_HEADER',
      }),
    ]);
    expect(server.log.lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('a 404 quotes at most 100 characters of the path', async () => {
    const answer = await rawRequest(`GET /${'a'.repeat(5000)} HTTP/1.1\r\n${host}\r\n`);
    const error = (answer.body as { error: { message: string; details: { path: string }[] } })
      .error;
    expect(error.message).toBe(`No route for GET /${'a'.repeat(99)}…`);
    expect(error.details).toEqual([{ method: 'GET', path: `/${'a'.repeat(99)}…` }]);
  });

  it('a bad request after a good one on a keep-alive connection is answered, then closed', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.write(
      `GET /items/1 HTTP/1.1\r\n${host}\r\nGET /items/1 HTTP/1.1\r\n${host}Content-Length: x\r\n\r\n`,
    );
    await new Promise((resolve) => socket.on('close', resolve));
    expect(text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    expect(text).toContain('"code":"INVALID_CONTENT_LENGTH"');
    expect(text.match(/x-request-id: /gi)).toHaveLength(2);
  });
});
