import { created, route } from 'libretto/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Envelope, startHttp } from './http-harness.js';

// What is sent is what the response schema declares, in every environment: the route's
// serializer is compiled from the schema, and a field it does not name never leaves.
const User = z.object({ id: z.number(), name: z.string() });
const Node: z.ZodType<{ name: string; children: { name: string }[] }> = z.lazy(() =>
  z.object({ name: z.string(), children: z.array(Node) }),
);
const Shape = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('circle'), radius: z.number() }),
  z.object({ kind: z.literal('square'), side: z.number() }),
]);

// Handlers that return more than their schema (as a repository row or a loose object would).
const leaky = <T>(value: T, extra: Record<string, unknown>): T => ({ ...value, ...extra });

const routes = [
  route.get('/user', { response: User }, () =>
    leaky({ id: 1, name: 'Ada' }, { passwordHash: '$argon2id$secret', isAdmin: true }),
  ),
  route.post('/users', { response: User, status: 201 }, () =>
    created(leaky({ id: 2, name: 'Grace' }, { passwordHash: 'x' }), '/users/2'),
  ),
  route.get('/users', { response: z.object({ items: z.array(User), total: z.number() }) }, () => ({
    items: [leaky({ id: 1, name: 'Ada' }, { token: 't1' }), leaky({ id: 2, name: 'B' }, {})],
    total: 2,
  })),
  route.get('/tree', { response: Node }, () =>
    leaky(
      { name: 'root', children: [leaky({ name: 'leaf', children: [] }, { secret: 1 })] },
      {
        secret: 2,
      },
    ),
  ),
  route.get('/shape', { response: Shape }, () =>
    leaky({ kind: 'square' as const, side: 2 }, { internal: 'x' }),
  ),
  route.get(
    '/defaults',
    { response: z.object({ role: z.string().default('user'), at: z.date(), n: z.bigint() }) },
    () => ({ role: 'admin', at: new Date(Date.UTC(2026, 0, 2)), n: 12345678901234567890n }),
  ),
  route.get('/loose', { response: z.looseObject({ id: z.number() }) }, () => ({
    id: 1,
    more: 'kept: the schema allows any other field',
  })),
  route.get('/missing', { response: User }, () => ({ id: 1 }) as never),
  route.get('/no-schema', {}, () => ({ anything: 'goes', as: 'JSON.stringify writes it' })),
];

for (const environment of ['production', 'development'] as const) {
  describe(`responses in ${environment}`, () => {
    let server: Awaited<ReturnType<typeof startHttp>>;
    beforeAll(async () => {
      server = await startHttp(routes, {
        http: { validateResponses: environment === 'development' },
      });
    });
    afterAll(() => server.stop());

    const data = async (path: string, init?: RequestInit) => {
      const response = await server.fetch(path, init);
      const text = await response.text();
      return { status: response.status, text, body: JSON.parse(text) as Envelope, response };
    };

    it('never sends a field the response schema does not declare', async () => {
      const user = await data('/user');
      expect(user.status).toBe(200);
      expect(user.body).toEqual({ success: true, data: { id: 1, name: 'Ada' }, error: null });
      expect(user.text).not.toContain('passwordHash');
      expect(user.text).not.toContain('argon2');

      const made = await data('/users', { method: 'POST' });
      expect(made.status).toBe(201);
      expect(made.response.headers.get('location')).toBe('/users/2');
      expect(made.body.data).toEqual({ id: 2, name: 'Grace' });

      const list = await data('/users');
      expect(list.body.data).toEqual({
        items: [
          { id: 1, name: 'Ada' },
          { id: 2, name: 'B' },
        ],
        total: 2,
      });
      expect(list.text).not.toContain('token');
    });

    it('trims nested, recursive and union values alike', async () => {
      expect((await data('/tree')).body.data).toEqual({
        name: 'root',
        children: [{ name: 'leaf', children: [] }],
      });
      expect((await data('/shape')).body.data).toEqual({ kind: 'square', side: 2 });
    });

    it('sends dates as RFC 3339 strings and bigints as integers, as documented', async () => {
      const sent = await data('/defaults');
      expect(sent.text).toContain('"n":12345678901234567890');
      expect(sent.body.data).toEqual({
        role: 'admin',
        at: '2026-01-02T00:00:00.000Z',
        n: Number(12345678901234567890n),
      });
    });

    it('keeps the extra fields of a loose schema, and sends data without a schema as it is', async () => {
      expect((await data('/loose')).body.data).toEqual({
        id: 1,
        more: 'kept: the schema allows any other field',
      });
      expect((await data('/no-schema')).body.data).toEqual({
        anything: 'goes',
        as: 'JSON.stringify writes it',
      });
    });

    it('answers a value that cannot be sent as its schema with a logged 500', async () => {
      const missing = await data('/missing');
      expect(missing.status).toBe(500);
      expect(missing.body.error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
      const requestId = missing.response.headers.get('x-request-id');
      expect((missing.body.error as { requestId?: string }).requestId).toBe(requestId);
      const line = server.log.lines.find((l) => l.reqId === requestId);
      expect(line).toMatchObject({ level: 50, code: 'RESPONSE_SCHEMA_MISMATCH' });
      expect(String((line?.err as { message?: string })?.message)).toContain('GET /missing');
      expect(missing.text).not.toContain('"id":1');
    });
  });
}
