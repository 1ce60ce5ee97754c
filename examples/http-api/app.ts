// The example API: people and the organizations they belong to, as versioned models in
// PostgreSQL (an embedded server, data in .data/postgres, unless a server is configured),
// with audit history, optimistic locking, search and relations; repositories shared through
// DI, validated routes, DDD errors mapped to HTTP, generated docs. `main.ts` runs it;
// `libretto openapi --app` reads it without starting a server. With a broker configured
// (`RABBITMQ_HOST=127.0.0.1 npm start`) a created person is also announced: a PersonCreated
// message through the transactional outbox, which `npm run start:people-worker` consumes.
// With MySQL or MariaDB configured (`LIBRETTO_MYSQL__DSN=mysql://root@127.0.0.1:3306/app
// npm start`) the same app runs on it: only the services and the migrations change.
import { Application, ConfigService, provide, Service, token, UsageError } from 'libretto';
import {
  belongsTo,
  hasMany,
  model,
  provideRepository,
  type RepositoryOf,
  SchemaRegistry,
} from 'libretto/data';
import { created, HttpConfig, HttpRequest, HttpService, route } from 'libretto/http';
import {
  Outbox,
  OutboxRelay,
  OutboxService,
  RabbitMqConfig,
  RabbitMqService,
} from 'libretto/messaging';
import { MigrationService, MigrationsConfig } from 'libretto/migrations';
import { MysqlConfig, MysqlService } from 'libretto/mysql';
import { PostgresConfig, PostgresService } from 'libretto/postgres';
import * as z from 'zod';

export const Organization = model(
  'organization',
  { name: z.string().min(1).max(200), country: z.string().length(2) },
  { versioned: true },
);
export const Person = model(
  'person',
  {
    firstName: z.string().min(1).max(100),
    lastName: z.string().min(1).max(100),
    email: z.email(),
    organizationId: z.uuid().nullable().default(null),
  },
  // One person per email address among the live ones: a second is refused with 409.
  { versioned: true, timestamps: true, unique: ['email'] },
);
type Organization = model.Infer<typeof Organization>;
type Person = model.Infer<typeof Person>;

// `belongsTo` makes `organizationId` a foreign key: a person naming no organization is
// refused with 422, and an organization with members cannot be hard-deleted.
export const schema = new SchemaRegistry([Organization, Person], {
  relations: [
    belongsTo(Person, 'organization', Organization, 'organizationId'),
    hasMany(Organization, 'members', Person, 'organizationId'),
  ],
});

/**
 * Whether a broker is configured (`RABBITMQ_HOST`, `LIBRETTO_RABBITMQ__URL`, …): only then
 * are people announced, so that `npm start` needs no RabbitMQ.
 */
export const messaging = Object.keys(process.env).some(
  (name) => name.startsWith('RABBITMQ_') || name.startsWith('LIBRETTO_RABBITMQ__'),
);
/**
 * Whether MySQL/MariaDB is configured (`LIBRETTO_MYSQL__DSN`, any `LIBRETTO_MYSQL__*`, or the
 * seed's `MYSQL_HOST`): then the app runs on it instead of PostgreSQL, with its migrations
 * from migrations-mysql/ (MySQL's DDL differs).
 */
export const mysql = Object.keys(process.env).some(
  (name) => name.startsWith('LIBRETTO_MYSQL__') || name === 'MYSQL_HOST',
);

/** The queue PersonCreated messages go to. */
export const PEOPLE_QUEUE = 'people';

const Organizations = token<RepositoryOf<typeof Organization>>('Organizations');
const People = token<RepositoryOf<typeof Person>>('People');

/** Request-scoped: who is calling, from the request's headers (recorded as `changedById`). */
export const Caller = token<{ name: string }>('Caller');

const OrganizationOut = Organization.schema.meta({ id: 'Organization' });
const PersonOut = Person.schema.meta({ id: 'Person' });
const PersonWithOrganization = Person.schema
  .extend({ organization: OrganizationOut.nullable().optional() })
  .meta({ id: 'PersonWithOrganization' });
const OrganizationWithMembers = Organization.schema
  .extend({ members: z.array(PersonOut).optional() })
  .meta({ id: 'OrganizationWithMembers' });
const NewOrganization = Organization.input.meta({ id: 'NewOrganization' });
const NewPerson = Person.input.meta({ id: 'NewPerson' });
const PersonUpdate = Person.input
  .extend({ version: z.uuid().describe('The version this update was made from') })
  .meta({ id: 'PersonUpdate' });
const ById = z.object({ id: z.uuid() });
/** Read by the `Caller` provider: declared on the routes that use it, so it is documented. */
const CallerHeaders = z.object({
  'x-caller': z.string().max(100).optional().describe('Who is calling (default: anonymous)'),
});

export const routes = [
  route.get(
    '/me',
    {
      response: z.object({ name: z.string() }),
      headers: CallerHeaders,
      inject: { caller: Caller },
      summary: 'Who is calling (from the X-Caller header)',
      operationId: 'whoAmI',
    },
    ({ caller }) => caller,
  ),
  route.post(
    '/organizations',
    {
      body: NewOrganization,
      response: OrganizationOut,
      status: 201,
      headers: CallerHeaders,
      inject: { organizations: Organizations, caller: Caller },
      tags: ['organizations'],
      summary: 'Create an organization',
      operationId: 'createOrganization',
    },
    async ({ body, organizations, caller }) => {
      const org = await organizations.save(Organization.create(body), {
        changedById: caller.name,
      });
      return created(org, `/organizations/${org.entityId}`);
    },
  ),
  route.get(
    '/organizations/:id',
    {
      params: ById,
      query: z.object({ members: z.boolean().default(false) }),
      response: OrganizationWithMembers,
      inject: { organizations: Organizations },
      tags: ['organizations'],
      summary: 'Get an organization, with its members if asked',
      operationId: 'getOrganization',
      errors: [404],
    },
    ({ params, query, organizations }) =>
      organizations.get<{ members?: Person[] }>(params.id, {
        fetchRelated: query.members ? ['members'] : [],
      }),
  ),
  route.post(
    '/people',
    {
      body: NewPerson,
      response: PersonOut,
      status: 201,
      headers: CallerHeaders,
      inject: { people: People, caller: Caller },
      tags: ['people'],
      summary: 'Create a person (409 for an email taken, 422 for an unknown organization)',
      operationId: 'createPerson',
      errors: [409, 422],
    },
    async ({ body, people, caller }) => {
      const person = Person.create(body);
      // With a broker, the message is committed with the person (the outbox) and published
      // by the relay afterwards: never lost, never sent for a person that was not saved.
      const saved = await people.save(person, {
        changedById: caller.name,
        ...(messaging &&
          !mysql && {
            message: {
              queue: PEOPLE_QUEUE,
              type: 'PersonCreated',
              key: person.entityId,
              data: { entityId: person.entityId, email: person.email, firstName: person.firstName },
            },
          }),
      });
      return created(saved, `/people/${saved.entityId}`);
    },
  ),
  route.get(
    '/people',
    {
      query: z.object({
        q: z.string().optional().describe('Part of the last name, any case'),
        organizationId: z.uuid().optional(),
        sort: z.enum(['lastName', '-lastName', 'createdAt', '-createdAt']).default('lastName'),
        page: z.number().int().min(1).default(1),
        pageSize: z.number().int().min(1).max(100).default(20),
      }),
      response: z.object({ items: z.array(PersonOut), total: z.number().int() }),
      inject: { people: People },
      tags: ['people'],
      summary: 'Search people',
      operationId: 'searchPeople',
    },
    ({ query, people }) =>
      people.search({
        where: {
          ...(query.q === undefined ? {} : { lastName: { ilike: query.q } }),
          ...(query.organizationId === undefined ? {} : { organizationId: query.organizationId }),
        },
        sort: [query.sort, 'entityId'],
        page: query.page,
        pageSize: query.pageSize,
      }),
  ),
  route.get(
    '/people/:id',
    {
      params: ById,
      query: z.object({ organization: z.boolean().default(false) }),
      response: PersonWithOrganization,
      inject: { people: People },
      tags: ['people'],
      summary: 'Get a person, with their organization if asked',
      operationId: 'getPerson',
      errors: [404],
    },
    ({ params, query, people }) =>
      people.get<{ organization?: Organization | null }>(params.id, {
        fetchRelated: query.organization ? ['organization'] : [],
      }),
  ),
  route.put(
    '/people/:id',
    {
      params: ById,
      body: PersonUpdate,
      response: PersonOut,
      headers: CallerHeaders,
      inject: { people: People, caller: Caller },
      tags: ['people'],
      summary: 'Update a person (409 when someone else changed them since `version`)',
      operationId: 'updatePerson',
      errors: [404, 409, 422],
    },
    async ({ params, body, people, caller }) => {
      const current = await people.get(params.id);
      return people.save({ ...current, ...body }, { changedById: caller.name });
    },
  ),
  route.delete(
    '/people/:id',
    {
      params: ById,
      response: PersonOut,
      headers: CallerHeaders,
      inject: { people: People, caller: Caller },
      tags: ['people'],
      summary: 'Delete a person (a new, inactive version: the history stays)',
      operationId: 'deletePerson',
      errors: [404],
    },
    async ({ params, people, caller }) =>
      (await people.delete(await people.get(params.id), { changedById: caller.name })) as Person,
  ),
  route.get(
    '/people/:id/history',
    {
      params: ById,
      response: z.array(PersonOut),
      inject: { people: People },
      tags: ['people'],
      summary: 'Every version of a person, oldest first',
      operationId: 'personHistory',
      errors: [404],
    },
    async ({ params, people }) => {
      await people.get(params.id, { includeDeleted: true }); // 404 for an unknown id
      return people.history(params.id);
    },
  ),
];

/** The HTTP service; its `url` tells where it listens once started. */
export const http = new HttpService({ routes });

/** Refuses to start: the outbox's table and relay are written in PostgreSQL's SQL. */
class OutboxNeedsPostgres extends Service {
  override start(): void {
    throw new UsageError(
      'The outbox (announcing people through RabbitMQ) runs on PostgreSQL only (its SQL: SKIP LOCKED claims, advisory locks, NOTIFY): with MySQL configured, leave RABBITMQ_* and LIBRETTO_RABBITMQ__* unset',
    );
  }
}

export const app = new Application(
  new ConfigService({
    sections: [HttpConfig, PostgresConfig, MysqlConfig, MigrationsConfig, RabbitMqConfig],
  }),
  // First: a configuration that cannot work stops before the database is touched.
  ...(messaging && mysql ? [new OutboxNeedsPostgres()] : []),
  mysql ? new MysqlService() : new PostgresService(),
  // The tables come from migrations/ (the first one generated from `schema` below with
  // `libretto migrate new initial --from-schema`; on MySQL from migrations-mysql/, generated
  // the same way): applied at start, one instance at a time.
  new MigrationService(mysql ? { directory: 'examples/http-api/migrations-mysql' } : {}),
  // The broker, the outbox and its relay (here, in the process that writes: LISTEN/NOTIFY
  // wakes it at each commit), only when a broker is configured.
  ...(messaging && !mysql ? [new RabbitMqService(), new OutboxService(), new OutboxRelay()] : []),
  http,
  {
    providers: [
      provideRepository(Organizations, Organization, { schema }),
      provideRepository(People, Person, {
        schema,
        ...(messaging && !mysql && { outbox: Outbox }),
      }),
      provide(Caller, {
        deps: [HttpRequest],
        use: (request) => ({ name: String(request.headers['x-caller'] ?? 'anonymous') }),
        lifetime: 'request',
      }),
    ],
  },
);
