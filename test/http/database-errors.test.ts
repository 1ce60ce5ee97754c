// Over a real PostgreSQL: text the database cannot store never reaches it, and what the
// database refuses is answered without naming its tables, statements or SQLSTATEs — those
// stay in the log line, with the request id.

import { route } from 'libretto/http';
import { Database, PostgresService, sql } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { postJson, startHttp } from './http-harness.js';

let postgres: TestPostgres;
let server: Awaited<ReturnType<typeof startHttp>>;

beforeAll(async () => {
  postgres = await startPostgres();
  server = await startHttp(
    [
      route.post(
        '/accounts',
        { body: z.object({ email: z.string(), name: z.string() }), inject: { db: Database } },
        async ({ body, db }) => {
          await db.execute(
            sql`INSERT INTO edge_accounts (email, name) VALUES (${body.email}, ${body.name})`,
          );
          return body;
        },
      ),
      // No schema: the raw JSON goes to the statement as it is.
      route.post('/notes', { inject: { db: Database } }, async ({ body, db }) => {
        await db.execute(sql`INSERT INTO edge_notes (doc) VALUES (${JSON.stringify(body)}::jsonb)`);
        return null;
      }),
      route.get(
        '/accounts',
        { query: z.object({ email: z.string() }), inject: { db: Database } },
        ({ query, db }) =>
          db.fetch(sql`SELECT email, name FROM edge_accounts WHERE email = ${query.email}`),
      ),
    ],
    { services: [new PostgresService({ dsn: postgres.dsn })] },
  );
  const db = await server.app.container.get(Database);
  await db.execute(
    sql`CREATE TABLE edge_accounts (email text PRIMARY KEY, name text NOT NULL CHECK (name <> ''))`,
  );
  await db.execute(sql`CREATE TABLE edge_notes (doc jsonb NOT NULL)`);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
});

/** Every statement the server ran, from PostgreSQL's own view of the table. */
async function rows(): Promise<unknown[]> {
  const db = await server.app.container.get(Database);
  return db.fetch(sql`SELECT email, name FROM edge_accounts ORDER BY email`);
}

describe('a NUL never reaches PostgreSQL', () => {
  it.each([
    [
      'a body field',
      '/accounts',
      postJson({ email: 'nul@x', name: 'a\u0000b' }),
      422,
      'INVALID_BODY',
    ],
    [
      'a JSON document without a schema',
      '/notes',
      postJson({ text: 'a\u0000' }),
      422,
      'INVALID_BODY',
    ],
    ['a query value', '/accounts?email=a%00', undefined, 400, 'INVALID_QUERY_PARAMS'],
  ] as const)('%s: refused as input, nothing stored', async (_, path, init, status, code) => {
    const response = await server.json(path, init);
    expect(response.status).toBe(status);
    expect(response.body.error?.code).toBe(code);
    expect(JSON.stringify(response.body)).not.toMatch(/edge_|SQLSTATE|22021|22P05|INSERT|SELECT/);
    expect(await rows()).toEqual([]);
    // Input validation's code, not UNPROCESSABLE_ENTITY from a failed statement (22021/22P05).
    expect(server.log.lines.filter((l) => l.level === 50)).toEqual([]);
  });
});

describe('what the database refuses is answered without its schema', () => {
  it('a unique violation is a 409 naming no table, statement, constraint or SQLSTATE', async () => {
    const first = await server.json('/accounts', postJson({ email: 'dup@x', name: 'One' }));
    expect(first.status).toBe(200);
    const response = await server.json('/accounts', {
      ...postJson({ email: 'dup@x', name: 'Two' }),
      headers: { 'content-type': 'application/json', 'x-request-id': 'dup-1' },
    });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      success: false,
      data: null,
      error: {
        message: 'A resource with the same unique value already exists',
        code: 'DUPLICATE_RESOURCE',
        details: [],
      },
    });
    expect(response.headers.get('x-request-id')).toBe('dup-1');
    // The log line, found by the request id, says what happened where.
    const lines = server.log.lines.filter(
      (l) => l.reqId === 'dup-1' && l.msg === 'request refused',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] as {
      level: number;
      status: number;
      err: { message: string; details: unknown[] };
    };
    expect(line).toMatchObject({ level: 20, status: 409, code: 'DUPLICATE_RESOURCE' });
    expect(line.err.message).toMatch(/INSERT edge_accounts.*edge_accounts_pkey/);
    expect(line.err.details).toEqual([{ statement: 'INSERT edge_accounts', sqlstate: '23505' }]);
  });

  it('a check violation is a 422 naming neither', async () => {
    const response = await server.json('/accounts', postJson({ email: 'empty@x', name: '' }));
    expect(response.status).toBe(422);
    expect(response.body.error).toEqual({
      message: 'A value breaks a rule of the stored data',
      code: 'UNPROCESSABLE_ENTITY',
      details: [],
    });
  });
});
