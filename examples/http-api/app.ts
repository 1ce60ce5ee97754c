// The example API: users in an in-memory store shared through DI, validated routes, DDD
// errors mapped to HTTP, and generated docs. `main.ts` runs it; `libretto openapi --app`
// reads it without starting a server.
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  Application,
  ConfigService,
  NotFoundError,
  provide,
  token,
} from 'libretto';
import { created, HttpConfig, HttpRequest, HttpService, noContent, route } from 'libretto/http';
import * as z from 'zod';

export const User = z
  .object({
    id: z.uuid(),
    name: z.string().min(1).max(100),
    email: z.email(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User', description: 'A registered user' });
type User = z.infer<typeof User>;

const NewUser = User.pick({ name: true, email: true }).meta({ id: 'NewUser' });

/** An app-scoped store; a real service would use a repository over PostgreSQL. */
export class UserStore {
  readonly #users = new Map<string, User>();

  add(input: { name: string; email: string }): User {
    if ([...this.#users.values()].some((u) => u.email === input.email)) {
      throw new AlreadyExistsError('A user with this email exists', {
        details: [{ email: input.email }],
      });
    }
    const user = { id: randomUUID(), ...input, createdAt: new Date().toISOString() };
    this.#users.set(user.id, user);
    return user;
  }

  get(id: string): User {
    const user = this.#users.get(id);
    if (user === undefined) throw new NotFoundError('User not found', { details: [{ id }] });
    return user;
  }

  list(offset: number, limit: number): { items: User[]; total: number } {
    const all = [...this.#users.values()];
    return { items: all.slice(offset, offset + limit), total: all.length };
  }

  remove(id: string): void {
    this.get(id);
    this.#users.delete(id);
  }
}

/** Request-scoped: who is calling, from the request's headers. */
export const Caller = token<{ name: string }>('Caller');

export const routes = [
  route.get(
    '/me',
    {
      response: z.object({ name: z.string() }),
      inject: { caller: Caller },
      summary: 'Who is calling (from the X-Caller header)',
      operationId: 'whoAmI',
    },
    ({ caller }) => caller,
  ),
  route.get(
    '/users',
    {
      query: z.object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100).default(20),
      }),
      response: z.object({ items: z.array(User), total: z.number().int() }),
      inject: { users: UserStore },
      tags: ['users'],
      summary: 'List users',
      operationId: 'listUsers',
    },
    ({ query, users }) => users.list(query.offset, query.limit),
  ),
  route.get(
    '/users/:id',
    {
      params: z.object({ id: z.uuid() }),
      query: z.object({ detailed: z.boolean().default(false) }),
      response: User.partial({ createdAt: true }),
      inject: { users: UserStore },
      tags: ['users'],
      summary: 'Get a user',
      operationId: 'getUser',
      errors: [404],
    },
    ({ params, query, users }) => {
      const { createdAt, ...user } = users.get(params.id);
      return query.detailed ? { ...user, createdAt } : user;
    },
  ),
  route.post(
    '/users',
    {
      body: NewUser,
      response: User,
      inject: { users: UserStore },
      tags: ['users'],
      summary: 'Create a user',
      operationId: 'createUser',
      errors: [409],
    },
    ({ body, users }) => {
      const user = users.add(body);
      return created(user, `/users/${user.id}`);
    },
  ),
  route.delete(
    '/users/:id',
    {
      params: z.object({ id: z.uuid() }),
      inject: { users: UserStore },
      status: 204,
      tags: ['users'],
      summary: 'Delete a user',
      operationId: 'deleteUser',
      errors: [404],
    },
    ({ params, users }) => {
      users.remove(params.id);
      return noContent();
    },
  ),
];

/** The HTTP service; its `url` tells where it listens once started. */
export const http = new HttpService({ routes });

export const app = new Application(new ConfigService({ sections: [HttpConfig] }), http, {
  providers: [
    provide(UserStore, { use: () => new UserStore() }),
    provide(Caller, {
      deps: [HttpRequest],
      use: (request) => ({ name: String(request.headers['x-caller'] ?? 'anonymous') }),
      lifetime: 'request',
    }),
  ],
});
