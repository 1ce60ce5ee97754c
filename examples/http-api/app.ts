// The example API: users in PostgreSQL (embedded PGlite unless a server is configured),
// a repository shared through DI, validated routes, DDD errors mapped to HTTP, and
// generated docs. `main.ts` runs it; `libretto openapi --app`
// reads it without starting a server.
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  Application,
  ConfigService,
  NotFoundError,
  provide,
  provideClass,
  Service,
  token,
} from 'libretto';
import { created, HttpConfig, HttpRequest, HttpService, noContent, route } from 'libretto/http';
import { Database, PostgresConfig, PostgresService, sql } from 'libretto/postgres';
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

interface UserRow {
  id: string;
  name: string;
  email: string;
  created_at: Date;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  email: row.email,
  createdAt: row.created_at.toISOString(),
});

/** Users in PostgreSQL: the embedded PGlite by default, a server when configured. */
export class UserRepository {
  constructor(private readonly db: Database) {}

  async add(input: { name: string; email: string }): Promise<User> {
    try {
      const row = await this.db.fetchOne<UserRow>(
        sql`INSERT INTO users (id, name, email) VALUES (${randomUUID()}, ${input.name}, ${input.email})
            RETURNING id, name, email, created_at`,
      );
      return toUser(row as UserRow);
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      throw new AlreadyExistsError('A user with this email exists', {
        details: [{ email: input.email }],
        cause: error,
      });
    }
  }

  async get(id: string): Promise<User> {
    const row = await this.db.fetchOne<UserRow>(
      sql`SELECT id, name, email, created_at FROM users WHERE id = ${id}`,
    );
    if (row === undefined) throw new NotFoundError('User not found', { details: [{ id }] });
    return toUser(row);
  }

  async list(offset: number, limit: number): Promise<{ items: User[]; total: number }> {
    const rows = await this.db.fetch<UserRow>(
      sql`SELECT id, name, email, created_at FROM users ORDER BY created_at, id
          OFFSET ${offset} LIMIT ${limit}`,
    );
    const total = await this.db.fetchVal<number>('SELECT count(*)::int FROM users');
    return { items: rows.map(toUser), total: total ?? 0 };
  }

  async remove(id: string): Promise<void> {
    if ((await this.db.execute(sql`DELETE FROM users WHERE id = ${id}`)) === 0) {
      throw new NotFoundError('User not found', { details: [{ id }] });
    }
  }
}

/** Creates the table at start (a real service would use migrations). */
class UsersSchema extends Service {
  constructor() {
    super('UsersSchema');
  }
  override async start(): Promise<void> {
    const db = await this.getDependency(Database);
    await db.execute(`CREATE TABLE IF NOT EXISTS users (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      email text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now())`);
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
      inject: { users: UserRepository },
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
      inject: { users: UserRepository },
      tags: ['users'],
      summary: 'Get a user',
      operationId: 'getUser',
      errors: [404],
    },
    async ({ params, query, users }) => {
      const { createdAt, ...user } = await users.get(params.id);
      return query.detailed ? { ...user, createdAt } : user;
    },
  ),
  route.post(
    '/users',
    {
      body: NewUser,
      response: User,
      inject: { users: UserRepository },
      tags: ['users'],
      summary: 'Create a user',
      operationId: 'createUser',
      errors: [409],
    },
    async ({ body, users }) => {
      const user = await users.add(body);
      return created(user, `/users/${user.id}`);
    },
  ),
  route.delete(
    '/users/:id',
    {
      params: z.object({ id: z.uuid() }),
      inject: { users: UserRepository },
      status: 204,
      tags: ['users'],
      summary: 'Delete a user',
      operationId: 'deleteUser',
      errors: [404],
    },
    async ({ params, users }) => {
      await users.remove(params.id);
      return noContent();
    },
  ),
];

/** The HTTP service; its `url` tells where it listens once started. */
export const http = new HttpService({ routes });

export const app = new Application(
  new ConfigService({ sections: [HttpConfig, PostgresConfig] }),
  new PostgresService(),
  new UsersSchema(),
  http,
  {
    providers: [
      provideClass(UserRepository, [Database]),
      provide(Caller, {
        deps: [HttpRequest],
        use: (request) => ({ name: String(request.headers['x-caller'] ?? 'anonymous') }),
        lifetime: 'request',
      }),
    ],
  },
);
