import * as libretto from 'libretto';
import {
  InvalidOperationError,
  LibrettoError,
  provide,
  token,
  UsageError,
  ValidationError,
} from 'libretto';
import { model, provideRepository, type RepositoryOf } from 'libretto/data';
import { HttpError, HttpService, route } from 'libretto/http';
import { PostgresService } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { startHttp } from './http-harness.js';

// An application's own error codes, as docs/http.md shows: HttpError takes an ErrorCode.
declare module 'libretto' {
  interface ErrorCodes {
    RATE_LIMITED: string;
  }
}

// The error mapping, row by row.
const TABLE: readonly [string, number, string][] = [
  ['AuthenticationError', 401, 'UNAUTHORIZED'],
  ['AuthorizationError', 403, 'FORBIDDEN'],
  ['PermissionDeniedError', 403, 'FORBIDDEN'],
  ['NotFoundError', 404, 'RESOURCE_NOT_FOUND'],
  ['AlreadyExistsError', 409, 'DUPLICATE_RESOURCE'],
  ['ConflictError', 409, 'CONFLICT'],
  ['InvalidOperationError', 409, 'CONFLICT'],
  ['ValidationError', 422, 'UNPROCESSABLE_ENTITY'],
  ['RelatedResourceNotFoundError', 422, 'UNPROCESSABLE_ENTITY'],
  ['DeadlineExceededError', 504, 'GATEWAY_TIMEOUT'],
  ['DependencyTimeoutError', 504, 'GATEWAY_TIMEOUT'],
  ['DependencyThrottledError', 503, 'SERVICE_UNAVAILABLE'],
  ['DependencyUnavailableError', 503, 'SERVICE_UNAVAILABLE'],
  ['SubsystemUnavailableError', 503, 'SERVICE_UNAVAILABLE'],
  ['SystemResourceLimitExceededError', 503, 'SERVICE_UNAVAILABLE'],
  ['DependencyFailureError', 502, 'BAD_GATEWAY'],
  ['StorageIntegrityError', 500, 'INTERNAL_SERVER_ERROR'],
  ['TransportIntegrityError', 500, 'INTERNAL_SERVER_ERROR'],
  ['InfrastructureError', 500, 'INTERNAL_SERVER_ERROR'],
];

type ErrorClass = new (message?: string, options?: libretto.ErrorOptions) => Error;

const server = await (async () => {
  const routes = [
    route.get('/throw/:name', { params: z.object({ name: z.string() }) }, ({ params }) => {
      const Cls = (libretto as unknown as Record<string, ErrorClass>)[params.name];
      if (Cls === undefined) throw new TypeError('internal detail: db password=hunter2');
      throw new Cls('secret internal detail postgresql://u:pw@db', {
        details: [{ which: params.name }],
      });
    }),
    route.get('/http-error', {}, () => {
      throw new HttpError(429, 'RATE_LIMITED', 'Slow down', {
        details: [{ retryAfter: 30 }],
        headers: { 'retry-after': '30' },
      });
    }),
    route.post(
      '/items/:id',
      {
        params: z.object({ id: z.coerce.number().int().positive() }),
        query: z.strictObject({ dry: z.boolean().optional() }),
        headers: z.object({ 'x-tenant': z.string().min(2) }),
        body: z.strictObject({ name: z.string(), tags: z.array(z.string()).max(2) }),
      },
      ({ params, body }) => ({ id: params.id, ...body }),
    ),
  ];
  return startHttp(routes, { http: { bodyLimit: 1024 } });
})();
afterAll(() => server.stop());
const valid = { headers: { 'content-type': 'application/json', 'x-tenant': 'acme' } };

describe('error mapping', () => {
  beforeAll(() => expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/));

  for (const [name, status, code] of TABLE) {
    it(`${name} → ${status} ${code}`, async () => {
      const { status: got, body } = await server.json(`/throw/${name}`);
      expect(got).toBe(status);
      expect(body.success).toBe(false);
      expect(body.data).toBeNull();
      expect(body.error?.code).toBe(code);
      if (status < 500) {
        expect(body.error?.message).toBe('secret internal detail postgresql://u:pw@db');
        expect(body.error?.details).toEqual([{ which: name }]);
      } else {
        // 5xx answers never carry the error's own message or details.
        expect(JSON.stringify(body)).not.toContain('secret internal detail');
        expect(body.error?.details).toEqual([]);
      }
    });
  }

  it('anything unexpected is a 500 with a safe message, logged with the request id', async () => {
    const response = await server.fetch('/throw/NoSuchError', {
      headers: { 'x-request-id': 'trace-123' },
    });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      success: false,
      data: null,
      error: {
        message: 'Internal server error',
        code: 'INTERNAL_SERVER_ERROR',
        details: [],
        requestId: 'trace-123',
      },
    });
    expect(text).not.toMatch(/TypeError|hunter2|at .*\.ts/);
    const line = server.log.lines.find(
      (l) => l.msg === 'request failed' && l.reqId === 'trace-123',
    );
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).toContain('internal detail');
    expect(JSON.stringify(line)).not.toContain('hunter2');
  });

  it('an HttpError gives full control of status, code, details and headers', async () => {
    const response = await server.fetch('/http-error');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(await response.json()).toEqual({
      success: false,
      data: null,
      error: { message: 'Slow down', code: 'RATE_LIMITED', details: [{ retryAfter: 30 }] },
    });
  });
});

describe('request parsing errors', () => {
  const body = { name: 'n', tags: ['a'] };

  it('a valid request passes, coerced', async () => {
    const { status, body: envelope } = await server.json('/items/7?dry=true', {
      ...valid,
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(status).toBe(200);
    expect(envelope).toEqual({
      success: true,
      data: { id: 7, name: 'n', tags: ['a'] },
      error: null,
    });
  });

  it.each([
    [
      'malformed JSON',
      '/items/7',
      { ...valid, method: 'POST', body: '{"name": ' },
      400,
      'MALFORMED_JSON',
      [],
    ],
    [
      'an empty JSON body',
      '/items/7',
      { ...valid, method: 'POST', body: '' },
      400,
      'MALFORMED_JSON',
      [],
    ],
    [
      'an invalid body',
      '/items/7',
      {
        ...valid,
        method: 'POST',
        body: JSON.stringify({ name: 1, tags: ['a', 'b', 'c'], extra: true }),
      },
      422,
      'INVALID_BODY',
      [
        {
          location: 'body',
          path: 'name',
          message: 'Invalid input: expected string, received number',
        },
        { location: 'body', path: 'tags', message: 'Too big: expected array to have <=2 items' },
        { location: 'body', path: 'extra', message: 'unknown key' },
      ],
    ],
    [
      'an invalid query',
      '/items/7?dry=perhaps&x=1',
      { ...valid, method: 'POST', body: JSON.stringify(body) },
      400,
      'INVALID_QUERY_PARAMS',
      [
        {
          location: 'query',
          path: 'dry',
          message: 'Invalid input: expected boolean, received string',
        },
        { location: 'query', path: 'x', message: 'unknown key' },
      ],
    ],
    [
      'an invalid path',
      '/items/-3',
      { ...valid, method: 'POST', body: JSON.stringify(body) },
      400,
      'INVALID_PATH_PARAMS',
      [{ location: 'path', path: 'id', message: 'Too small: expected number to be >0' }],
    ],
    [
      'invalid headers',
      '/items/7',
      {
        headers: { 'content-type': 'application/json', 'x-tenant': 'a' },
        method: 'POST',
        body: JSON.stringify(body),
      },
      400,
      'INVALID_HEADERS',
      [
        {
          location: 'headers',
          path: 'x-tenant',
          message: 'Too small: expected string to have >=2 characters',
        },
      ],
    ],
    [
      'an unknown route',
      '/nowhere',
      {},
      404,
      'ROUTE_NOT_FOUND',
      [{ method: 'GET', path: '/nowhere' }],
    ],
    ['a malformed URL', '/items/%E0%A4%A', { method: 'POST' }, 400, 'MALFORMED_URL', []],
    [
      'an over-long path parameter',
      `/items/${'1'.repeat(200)}`,
      { method: 'POST' },
      414,
      'URI_TOO_LONG',
      [],
    ],
    [
      'a wrong method',
      '/items/7',
      { method: 'DELETE' },
      405,
      'METHOD_NOT_ALLOWED',
      [{ method: 'DELETE', allowed: ['POST'] }],
    ],
    [
      'an oversized body',
      '/items/7',
      { ...valid, method: 'POST', body: JSON.stringify({ name: 'x'.repeat(2000), tags: [] }) },
      413,
      'PAYLOAD_TOO_LARGE',
      [],
    ],
    [
      'an unsupported media type',
      '/items/7',
      {
        headers: { 'content-type': 'text/plain', 'x-tenant': 'acme' },
        method: 'POST',
        body: 'hello',
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      [],
    ],
    [
      'a prototype-pollution key',
      '/items/7',
      { ...valid, method: 'POST', body: '{"name":"n","tags":[],"__proto__":{"admin":true}}' },
      400,
      'MALFORMED_JSON',
      [],
    ],
  ] as const)('%s → %i %s', async (_, path, init, status, code, details) => {
    const response = await server.json(path, init as RequestInit);
    expect(response.status).toBe(status);
    expect(response.body.error?.code).toBe(code);
    expect(response.body.error?.details).toEqual(details);
    expect(response.body.success).toBe(false);
  });

  it('405 answers carry an Allow header', async () => {
    const response = await server.fetch('/items/7', { method: 'GET' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

// Misuse of Libretto in server code is the server's fault, never the client's: whatever
// path it takes out of a handler, it is answered as a logged 500 carrying the request id.

const Note = model('note', { text: z.string() });
const Notes = token<RepositoryOf<typeof Note>>('Notes');
const Broken = token<string>('Broken');
const BrokenLater = token<string>('BrokenLater');

const misuse = () =>
  new UsageError('Repository: options.pageSzie unknown option', {
    code: 'INVALID_OPTION',
    details: [{ path: 'pageSzie', message: 'unknown option' }],
  });

const misuseServer = await startHttp(
  [
    route.get('/handler', {}, () => {
      throw misuse();
    }),
    route.get('/async-handler', {}, async () => {
      await Promise.resolve();
      throw misuse();
    }),
    route.get('/factory', { inject: { broken: Broken } }, ({ broken }) => broken),
    route.get('/async-factory', { inject: { broken: BrokenLater } }, ({ broken }) => broken),
    route.get('/repository', { inject: { notes: Notes } }, ({ notes }) =>
      // A field name the model lacks, as server code could build it from a sort parameter.
      notes.count({ nope: 'x' } as never),
    ),
    route.get(
      '/response',
      { response: z.object({ id: z.number() }) },
      () => ({ id: 'x' }) as never,
    ),
    route.get('/library-error', {}, () => {
      throw new LibrettoError('Cannot resolve Clock: the scope is closed', {
        code: 'DI_SCOPE_CLOSED',
      });
    }),
    route.get('/invalid-operation', {}, () => {
      throw new InvalidOperationError('The order is already shipped', {
        details: [{ order: 7 }],
      });
    }),
    route.post('/validation', {}, () => {
      throw new ValidationError('email: already taken', { details: [{ path: 'email' }] });
    }),
  ],
  {
    http: { validateResponses: true },
    services: [new PostgresService({ dataDir: ':memory:' })],
    app: {
      providers: [
        provideRepository(Notes, Note),
        provide(Broken, {
          use: () => {
            throw misuse();
          },
          lifetime: 'request',
        }),
        provide(BrokenLater, {
          use: async () => {
            await Promise.resolve();
            throw misuse();
          },
          lifetime: 'request',
        }),
      ],
    },
  },
);
afterAll(() => misuseServer.stop());

async function expectLogged500(path: string, id: string, code: string, message: RegExp) {
  const response = await misuseServer.fetch(path, { headers: { 'x-request-id': id } });
  expect(response.status).toBe(500);
  expect(response.headers.get('x-request-id')).toBe(id);
  const text = await response.text();
  expect(JSON.parse(text)).toEqual({
    success: false,
    data: null,
    error: {
      message: 'Internal server error',
      code: 'INTERNAL_SERVER_ERROR',
      details: [],
      requestId: id,
    },
  });
  // The client learns nothing of the mistake; the log says what it was.
  expect(text).not.toMatch(message);
  const lines = misuseServer.log.lines.filter((l) => l.msg === 'request failed' && l.reqId === id);
  expect(lines).toHaveLength(1);
  const line = lines[0] as { level: number; code: unknown; err: { message: string } };
  expect(line.level).toBe(50);
  expect(line.code).toBe(code);
  expect(line.err.message).toMatch(message);
}

describe('a UsageError is a logged 500 with the request id', () => {
  it('thrown by a handler', () =>
    expectLogged500('/handler', 'usage-1', 'INVALID_OPTION', /pageSzie unknown option/));

  it('thrown by an async handler', () =>
    expectLogged500('/async-handler', 'usage-2', 'INVALID_OPTION', /pageSzie unknown option/));

  it('thrown by a request-scoped factory', () =>
    expectLogged500('/factory', 'usage-3', 'INVALID_OPTION', /pageSzie unknown option/));

  it('rejected by an async request-scoped factory', () =>
    expectLogged500('/async-factory', 'usage-4', 'INVALID_OPTION', /pageSzie unknown option/));

  // A where-clause field the model lacks is server code's mistake: libretto/data throws a
  // UsageError for it (the first expectation fails loudly if it ever does not).
  it('thrown by a repository call inside a handler', async () => {
    const error = await (await misuseServer.app.container.get(Notes))
      .count({ nope: 'x' } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    await expectLogged500('/repository', 'usage-5', (error as UsageError).code, /nope/);
  });

  it('a result that does not match the response schema', () =>
    expectLogged500('/response', 'usage-6', 'RESPONSE_SCHEMA_MISMATCH', /GET \/response/));
});

describe('the client is told only what is its own concern', () => {
  it('any LibrettoError outside the DDD classes is a logged 500', () =>
    expectLogged500('/library-error', 'lib-1', 'DI_SCOPE_CLOSED', /scope is closed/));

  it("an InvalidOperationError is the application's own 409, not logged", async () => {
    const response = await misuseServer.json('/invalid-operation', {
      headers: { 'x-request-id': 'conflict-1' },
    });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      success: false,
      data: null,
      error: {
        message: 'The order is already shipped',
        code: 'CONFLICT',
        details: [{ order: 7 }],
      },
    });
    expect(
      misuseServer.log.lines.filter((l) => l.reqId === 'conflict-1' && l.level === 50),
    ).toEqual([]);
  });

  it('a ValidationError stays a 422', async () => {
    const response = await misuseServer.json('/validation', { method: 'POST' });
    expect(response.status).toBe(422);
    expect(response.body.error).toEqual({
      message: 'email: already taken',
      code: 'UNPROCESSABLE_ENTITY',
      details: [{ path: 'email' }],
    });
  });
});

describe('HttpService misuse', () => {
  it('reading settings before start or url while not listening is a UsageError with its code', async () => {
    const http = new HttpService({ port: 0 });
    expect(() => http.settings).toThrow(UsageError);
    expect(() => http.settings).toThrow(
      expect.objectContaining({ code: 'HTTP_SERVICE_NOT_STARTED' }),
    );
    expect(() => http.url).toThrow(expect.objectContaining({ code: 'HTTP_SERVICE_NOT_LISTENING' }));
    expect(misuseServer.http.settings.port).toBe(0);
    expect(misuseServer.http.url).toBe(misuseServer.url);
  });
});
