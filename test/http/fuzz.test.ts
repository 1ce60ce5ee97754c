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
