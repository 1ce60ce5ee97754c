import { Readable } from 'node:stream';
import { NotFoundError, provide, token } from 'libretto';
import { accepted, created, HttpRequest, noContent, raw, route, withStatus } from 'libretto/http';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { postJson, startHttp } from './http-harness.js';

const events: string[] = [];
const RequestLog = token<{ id: number; lines: string[] }>('RequestLog');
const Clock = token<{ now: () => string }>('Clock');
const CurrentUser = token<string>('CurrentUser');
let nextId = 0;

const server = await startHttp(
  [
    route.get(
      '/coerce',
      {
        query: z.object({
          n: z.number(),
          flag: z.boolean(),
          tags: z.array(z.string()),
          ids: z.array(z.number()).optional(),
          big: z.bigint().optional(),
          word: z.string().optional(),
        }),
      },
      ({ query }) => ({ ...query, big: query.big?.toString() }),
    ),
    route.get(
      '/paths/:a/:b',
      { params: z.object({ a: z.number().int(), b: z.boolean() }) },
      ({ params }) => params,
    ),
    route.get('/untyped/:x', {}, ({ params, query }) => ({ params, query })),
    route.get('/headers', { headers: z.object({ xLimit: z.number().max(10) }) }, ({ headers }) => ({
      limit: headers.xLimit,
    })),
    route.get('/plain', {}, () => ({ hello: 'world' })),
    route.get('/nothing', {}, () => undefined),
    route.post('/created', { body: z.object({ name: z.string() }), status: 201 }, ({ body }) =>
      created({ id: 1, ...body }, '/things/1'),
    ),
    route.post('/accepted', { status: 202 }, () => accepted({ queued: true })),
    route.delete('/things/:id', { status: 204 }, () => noContent()),
    route.get('/teapot', { status: [200, 203] }, () => withStatus(203, 'partial')),
    // No response schema: the type cannot tell, the route's statuses still hold at run time.
    route.post('/undeclared', {}, () => created({ id: 1 })),
    route.get('/declared', { status: 202 }, () => 'later'),
    route.get('/csv', {}, () => raw('a,b\n1,2\n', { contentType: 'text/csv' })),
    route.get('/stream', {}, () =>
      raw(Readable.from(['chunk1,', 'chunk2']), { contentType: 'text/plain' }),
    ),
    route.get('/reply', {}, ({ reply }) => reply.code(299).type('text/plain').send('by hand')),
    route.get(
      '/bad-response',
      { response: z.object({ id: z.number() }) },
      () => ({ id: 'nope' }) as never,
    ),
    route.get(
      '/inject',
      { inject: { log: RequestLog, clock: Clock, user: CurrentUser } },
      ({ log, clock, user }) => {
        log.lines.push('handled');
        return { request: log.id, at: clock.now(), user };
      },
    ),
    route.get('/inject-fails', { inject: { log: RequestLog } }, ({ log }) => {
      log.lines.push('about to fail');
      throw new NotFoundError('gone');
    }),
    route.get('/scope-on-demand', {}, async ({ scope }) => (await scope.get(RequestLog)).id),
  ],
  {
    app: {
      providers: [
        provide(Clock, { value: { now: () => 'noon' } }),
        provide(RequestLog, {
          use: () => ({ id: ++nextId, lines: [] }),
          lifetime: 'request',
          dispose: (log, error) => {
            events.push(
              `closed ${log.id} [${log.lines.join(',')}]${error ? ` after ${(error as Error).message}` : ''}`,
            );
          },
        }),
        provide(CurrentUser, {
          deps: [HttpRequest],
          use: (req) => String(req.headers['x-user'] ?? 'anonymous'),
          lifetime: 'request',
        }),
      ],
    },
  },
);
afterAll(() => server.stop());

describe('coercion of path, query and headers', () => {
  it('turns query strings into numbers, booleans and arrays', async () => {
    const { status, body } = await server.json(
      '/coerce?n=42.5&flag=true&tags=a&ids=1&ids=2&big=9007199254740993&word=123',
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({
      n: 42.5,
      flag: true,
      tags: ['a'],
      ids: [1, 2],
      big: '9007199254740993',
      word: '123',
    });
  });

  it('reads booleans as true/false/1/0 only', async () => {
    expect((await server.json('/coerce?n=1&flag=0&tags=x')).body.data).toMatchObject({
      flag: false,
    });
    expect((await server.json('/coerce?n=1&flag=yes&tags=x')).status).toBe(400);
  });

  it('repeated keys become an array; a repeated scalar is refused', async () => {
    expect((await server.json('/coerce?n=1&flag=1&tags=a&tags=b')).body.data).toMatchObject({
      tags: ['a', 'b'],
    });
    const twice = await server.json('/coerce?n=1&n=2&flag=1&tags=a');
    expect(twice.status).toBe(400);
    expect(twice.body.error?.details).toEqual([
      { location: 'query', path: 'n', message: 'Invalid input: expected number, received array' },
    ]);
  });

  it('coerces path parameters and leaves untyped ones as strings', async () => {
    expect((await server.json('/paths/12/true')).body.data).toEqual({ a: 12, b: true });
    expect((await server.json('/paths/1.5/true')).body.error?.code).toBe('INVALID_PATH_PARAMS');
    expect((await server.json('/untyped/abc?q=1&q=2')).body.data).toEqual({
      params: { x: 'abc' },
      query: { q: ['1', '2'] },
    });
  });

  it('matches header names ignoring case and dashes, and coerces them', async () => {
    expect((await server.json('/headers', { headers: { 'X-Limit': '7' } })).body.data).toEqual({
      limit: 7,
    });
    expect((await server.json('/headers', { headers: { 'x-limit': '70' } })).status).toBe(400);
  });
});

describe('responses', () => {
  it('wraps returned data in the envelope', async () => {
    const response = await server.fetch('/plain');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ success: true, data: { hello: 'world' }, error: null });
    expect((await server.json('/nothing')).body).toEqual({
      success: true,
      data: null,
      error: null,
    });
  });

  it('sets other statuses with created, accepted, withStatus, noContent and the route status', async () => {
    const made = await server.fetch('/created', postJson({ name: 'x' }));
    expect(made.status).toBe(201);
    expect(made.headers.get('location')).toBe('/things/1');
    expect(await made.json()).toEqual({ success: true, data: { id: 1, name: 'x' }, error: null });
    expect((await server.fetch('/accepted', { method: 'POST' })).status).toBe(202);
    expect((await server.fetch('/teapot')).status).toBe(203);
    expect((await server.fetch('/declared')).status).toBe(202);
    const none = await server.fetch('/things/1', { method: 'DELETE' });
    expect(none.status).toBe(204);
    expect(await none.text()).toBe('');
    // A status the route does not declare is the handler's mistake: a logged 500.
    const undeclared = await server.fetch('/undeclared', { method: 'POST' });
    expect(undeclared.status).toBe(500);
    const id = undeclared.headers.get('x-request-id');
    const line = server.log.lines.find((l) => l.reqId === id && l.msg === 'request failed');
    expect(line).toMatchObject({ level: 50, code: 'UNDECLARED_STATUS' });
    expect((line as { err: { message: string } }).err.message).toBe(
      'POST /undeclared: the handler answered 201, a status the route does not declare (status: [200])',
    );
  });

  it('passes raw bodies, streams and hand-made replies through untouched', async () => {
    const csv = await server.fetch('/csv');
    expect(csv.headers.get('content-type')).toBe('text/csv');
    expect(await csv.text()).toBe('a,b\n1,2\n');
    expect(await (await server.fetch('/stream')).text()).toBe('chunk1,chunk2');
    const byHand = await server.fetch('/reply');
    expect(byHand.status).toBe(299);
    expect(await byHand.text()).toBe('by hand');
  });

  it('in development, a result that breaks the response schema is a 500, logged', async () => {
    const { status, body } = await server.json('/bad-response');
    expect(status).toBe(500);
    expect(body.error?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(server.log.text()).toContain("the handler's result does not match the response schema");
  });
});

describe('dependency injection per request', () => {
  it('injects app- and request-scoped dependencies and the HTTP request itself', async () => {
    const { body } = await server.json('/inject', { headers: { 'x-user': 'ada' } });
    expect(body.data).toMatchObject({ at: 'noon', user: 'ada' });
    const other = await server.json('/inject');
    expect(other.body.data).toMatchObject({ user: 'anonymous' });
    expect((other.body.data as { request: number }).request).not.toBe(
      (body.data as { request: number }).request,
    );
  });

  it('closes the request scope after the response, also when the handler threw', async () => {
    events.length = 0;
    const ok = await server.json('/inject');
    const id = (ok.body.data as { request: number }).request;
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toContain(`closed ${id} [handled]`);
    const failed = await server.json('/inject-fails');
    expect(failed.status).toBe(404);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.at(-1)).toMatch(/^closed \d+ \[about to fail\] after gone$/);
  });

  it('opens a scope on demand through the context', async () => {
    const { body } = await server.json('/scope-on-demand');
    expect(typeof body.data).toBe('number');
  });
});

describe('request id', () => {
  it('generates a distinct one per request and echoes it', async () => {
    const ids = new Set<string | null>();
    for (let i = 0; i < 20; i++)
      ids.add((await server.fetch('/plain')).headers.get('x-request-id'));
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    // Another server's ids differ from the first one's (random prefix per server).
    const other = await startHttp([route.get('/plain', {}, () => 1)]);
    const otherId = (await other.fetch('/plain')).headers.get('x-request-id') ?? '';
    await other.stop();
    expect(otherId.split('-')[0]).not.toBe([...ids][0]?.split('-')[0]);
  });

  it('honours a safe incoming id and replaces an unsafe one', async () => {
    expect(
      (await server.fetch('/plain', { headers: { 'x-request-id': 'abc-123' } })).headers.get(
        'x-request-id',
      ),
    ).toBe('abc-123');
    const unsafe = await server.fetch('/plain', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
  });

  it('is on every kind of response: routes, errors, 404, 405, health, docs, OpenAPI', async () => {
    const paths: [string, RequestInit?][] = [
      ['/plain'],
      ['/stream'],
      ['/reply'],
      ['/inject-fails'],
      ['/paths/x/y'],
      ['/nowhere'],
      ['/plain', { method: 'DELETE' }],
      ['/created', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
      ['/health'],
      ['/ready'],
      ['/docs'],
      ['/docs/swagger'],
      ['/static/openapi/openapi.json'],
    ];
    for (const [path, init] of paths) {
      const response = await server.fetch(path, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), 'x-request-id': 'every-1' },
      });
      await response.arrayBuffer();
      expect([path, init?.method, response.headers.get('x-request-id')]).toEqual([
        path,
        init?.method,
        'every-1',
      ]);
    }
  });

  it('is echoed on errors too, and the access log carries it', async () => {
    const response = await server.fetch('/nowhere', { headers: { 'x-request-id': 'lost-1' } });
    expect(response.headers.get('x-request-id')).toBe('lost-1');
    await new Promise((r) => setTimeout(r, 10));
    expect(server.log.lines).toContainEqual(
      expect.objectContaining({
        msg: 'request',
        reqId: 'lost-1',
        method: 'GET',
        url: '/nowhere',
        status: 404,
      }),
    );
  });
});

describe('bad arguments to the HTTP API', () => {
  it('answers each with a UsageError naming the argument', async () => {
    const { UsageError } = await import('libretto');
    const { HttpError } = await import('libretto/http');
    expect(() => route.get('users' as '/users', {}, () => null)).toThrow(UsageError);
    expect(() => route.get('users' as '/users', {}, () => null)).toThrow(
      'route.get: path must start with "/"',
    );
    expect(() =>
      route.get(
        '/x',
        { inject: { params: Clock } } as unknown as Parameters<typeof route.get>[1],
        () => null,
      ),
    ).toThrow("route GET /x: inject.params clashes with the context's own field");
    expect(() => new HttpError(200, 'BAD_REQUEST', 'not an error')).toThrow(
      'HttpError: status 200 is not an error status',
    );
    expect(() => withStatus(404 as 200, 'x')).toThrow(
      'withStatus: status 404 is not a success status',
    );
    for (const [status, path, why] of [
      [404, 'status', '404 is not a success status (2xx)'],
      [[], 'status', 'lists no status'],
      [[200, 201, 200], 'status[2]', '200 is listed twice'],
    ] as const) {
      expect(() =>
        route.get('/x', { status } as unknown as Parameters<typeof route.get>[1], () => null),
      ).toThrow(`route GET /x: ${path} ${why}`);
    }
  });
});
