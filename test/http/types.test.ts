import type { FastifyRequest } from 'fastify';
import { type ErrorCode, type Resolved, token } from 'libretto';
import { accepted, created, HttpError, type HttpRequest, route, withStatus } from 'libretto/http';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';

// Checked by `npm run typecheck`: every @ts-expect-error must be an error.
class Users {
  find(id: string): { id: string; name: string } {
    return { id, name: 'n' };
  }
}
const Clock = token<() => Date>('Clock');

describe('route types', () => {
  it('types the handler context from the schemas and injections', () => {
    route.get(
      '/users/:id',
      {
        params: z.object({ id: z.uuid() }),
        query: z.object({ detailed: z.boolean().default(false) }),
        response: z.object({ id: z.string(), name: z.string() }),
        inject: { users: Users, clock: Clock },
      },
      ({ params, query, users, clock, body }) => {
        expectTypeOf(params.id).toEqualTypeOf<string>();
        expectTypeOf(query.detailed).toEqualTypeOf<boolean>();
        expectTypeOf(users).toEqualTypeOf<Users>();
        expectTypeOf(clock).toEqualTypeOf<() => Date>();
        expectTypeOf(body).toEqualTypeOf<undefined>();
        return users.find(params.id);
      },
    );
    route.get('/a/:x/:y', {}, ({ params }) => {
      expectTypeOf(params).toEqualTypeOf<{ readonly x: string; readonly y: string }>();
      return params.x;
    });
    route.post(
      '/items',
      { body: z.object({ n: z.number() }), response: z.object({ n: z.number() }), status: 201 },
      ({ body }) => created({ n: body.n }),
    );
  });

  it('rejects mistakes at compile time', () => {
    const mistakes = () => {
      route.get(
        '/users/:id',
        { params: z.object({ id: z.uuid() }) },
        ({ params }) =>
          // @ts-expect-error no such parameter
          params.nope,
      );
      // @ts-expect-error a GET route cannot declare a body
      route.get('/x', { body: z.object({}) }, () => null);
      // @ts-expect-error an injection may not shadow the context's own fields
      route.get('/x', { inject: { params: Users } }, () => null);
      // @ts-expect-error the handler's data must match the response schema
      route.get('/x', { response: z.object({ id: z.number() }) }, () => ({ id: 'one' }));
      route.post(
        '/x',
        {
          body: z.object({ n: z.number() }),
          response: z.object({ n: z.number() }),
          status: 201,
        },
        () =>
          // @ts-expect-error an Outcome's data must match the response schema too
          created({ n: 'one' }),
      );
      route.post('/x', { response: z.object({ n: z.number() }) }, () =>
        // @ts-expect-error 201 is not one of the route's statuses (200 by default)
        created({ n: 1 }),
      );
      route.post('/x', { response: z.object({ n: z.number() }), status: [200, 201] }, () =>
        // @ts-expect-error 202 is not one of the route's statuses
        accepted({ n: 1 }),
      );
      // @ts-expect-error 404 is not a success status
      route.get('/x', { status: 404 }, () => null);
      // @ts-expect-error 404 is not a success status
      withStatus(404, 'x');
      route.get(
        '/a/:x',
        {},
        ({ params }) =>
          // @ts-expect-error only the path's own parameters exist
          params.y,
      );
    };
    expectTypeOf(mistakes).toBeFunction();
  });
});

describe('names of http values', () => {
  it('HttpRequest names both the token and the type of what it resolves to', () => {
    expectTypeOf<HttpRequest>().toEqualTypeOf<FastifyRequest>();
    expectTypeOf<Resolved<typeof HttpRequest>>().toEqualTypeOf<HttpRequest>();
  });

  it('HttpError takes a catalogued code, so a misspelt one fails to compile', () => {
    const error = new HttpError(405, 'METHOD_NOT_ALLOWED', 'no');
    expectTypeOf(error.code).toEqualTypeOf<ErrorCode>();
    const mistakes = () => {
      // @ts-expect-error not a code of the catalogue (nor one the app added to ErrorCodes)
      new HttpError(429, 'RATE_LIMITD', 'Slow down');
    };
    expectTypeOf(mistakes).toBeFunction();
  });
});
