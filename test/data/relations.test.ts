// Relations in SQL: the association tables and foreign-key indexes the DDL creates, one
// statement per relation and level, and the checks on relation definitions. What fetchRelated,
// relate and unrelate return is the conformance suite's (repository-conformance.ts).
import { UsageError } from 'libretto';
import { belongsTo, hasMany, manyToMany, model, repository, SchemaRegistry } from 'libretto/data';
import type { Database, DatabaseAdapter } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Opened } from '../postgres/backends.js';
import { type DataBackend, dataBackends } from './data-backends.js';

const Organization = model('organization', { name: z.string() }, { versioned: true });
const Person = model(
  'person',
  { name: z.string(), organizationId: z.uuid().nullable() },
  { versioned: true },
);
const LoginMethod = model('login_method', { kind: z.string(), personId: z.uuid() });
const Email = model('email', { address: z.string(), loginMethodId: z.uuid() });
const Investor = model('investor', { name: z.string() }, { extra: true });
// Keyed by an integer (an int8 column, a string in pg's rows): relations still match.
const Investment = model(
  'investment',
  { code: z.int(), title: z.string() },
  { primaryKey: ['code'] },
);

type Organization = model.Infer<typeof Organization>;
type Person = model.Infer<typeof Person>;
type LoginMethod = model.Infer<typeof LoginMethod>;

const schema = new SchemaRegistry(
  [Organization, Person, LoginMethod, Email, Investor, Investment],
  {
    relations: [
      belongsTo(Person, 'organization', Organization, 'organizationId'),
      hasMany(Organization, 'members', Person, 'organizationId'),
      belongsTo(LoginMethod, 'person', Person, 'personId'),
      hasMany(Person, 'loginMethods', LoginMethod, 'personId'),
      belongsTo(Email, 'loginMethod', LoginMethod, 'loginMethodId'),
      manyToMany(Investor, 'investments', Investment, 'investors', { through: 'invests_with' }),
    ],
  },
);

/** The database, counting the statements that read (and saying its engine, as it does). */
function counting(db: Database): { db: DatabaseAdapter; reads: () => number } {
  let reads = 0;
  const wrapped: DatabaseAdapter & { engine?: unknown } = {
    engine: (db as { engine?: unknown }).engine,
    fetch: (q, v) => {
      reads++;
      return db.fetch(q, v);
    },
    fetchOne: (q, v) => {
      reads++;
      return db.fetchOne(q, v);
    },
    fetchVal: (q, v) => {
      reads++;
      return db.fetchVal(q, v);
    },
    execute: (q, v) => db.execute(q, v),
    executeMany: (q, rows) => db.executeMany(q, rows),
    stream: (q, v, o) => db.stream(q, v, o),
    transaction: (fn, o) => db.transaction(fn, o),
  };
  return { db: wrapped, reads: () => reads };
}

/** The indexes of the test's database, as each engine lists them. */
const INDEXES = {
  postgres: "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
  mysql:
    'SELECT DISTINCT INDEX_NAME AS indexname FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY indexname',
} as const;

const list: DataBackend[] = await dataBackends();
afterAll(async () => {
  for (const b of list) await b.close();
});

describe.each(list.map((b) => [b.name, b] as const))('relations on %s', (_n, backend) => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await backend.open();
    await schema.ensureSchema(opened.db);
  });
  afterAll(() => opened?.close());

  it('creates association tables and foreign-key indexes', async () => {
    const indexes = await opened.db.fetch<{ indexname: string }>(INDEXES[backend.engine]);
    expect(indexes.map((i) => i.indexname)).toEqual(
      expect.arrayContaining([
        'person_organization_id_idx',
        'login_method_person_id_idx',
        'email_login_method_id_idx',
        'invests_with_investment_id_idx',
      ]),
    );
  });

  it('fetches a chain of depth 3 over 100 parents in 4 statements', async () => {
    const { db, reads } = counting(opened.db);
    const opts = { schema };
    const orgs = repository(Organization, db, opts);
    const people = repository(Person, db, opts);
    const logins = repository(LoginMethod, db, opts);
    const emails = repository(Email, db, opts);
    const org = await orgs.save(Organization.create({ name: 'Acme' }));
    const created = await people.bulkCreate(
      Array.from({ length: 10 }, (_, i) =>
        Person.create({ name: `P${i}`, organizationId: i < 9 ? org.entityId : null }),
      ),
    );
    const methods = await logins.bulkCreate(
      Array.from({ length: 100 }, (_, i) =>
        LoginMethod.create({ kind: 'password', personId: created[i % 10]!.entityId }),
      ),
    );
    await emails.bulkCreate(
      methods.map((m, i) => Email.create({ address: `u${i}@x.io`, loginMethodId: m.entityId })),
    );

    const before = reads();
    const found = await emails.getMany<{
      loginMethod: LoginMethod & { person: Person & { organization: Organization | null } };
    }>({
      fetchRelated: ['loginMethod', 'loginMethod.person', 'loginMethod.person.organization'],
      sort: ['address'],
    });
    expect(reads() - before).toBe(4);
    expect(found).toHaveLength(100);
    for (const e of found) {
      const person = e.loginMethod.person;
      expect(e.loginMethod.entityId).toBe(e.loginMethodId);
      expect(person.entityId).toBe(e.loginMethod.personId);
      expect(person.organization?.name ?? null).toBe(
        person.organizationId === null ? null : 'Acme',
      );
    }

    const mark = reads();
    const withMembers = await orgs.get<{ members: (Person & { loginMethods: LoginMethod[] })[] }>(
      org.entityId,
      { fetchRelated: ['members', 'members.loginMethods'] },
    );
    expect(reads() - mark).toBe(3);
    expect(withMembers.members).toHaveLength(9);
    expect(withMembers.members.every((m) => m.loginMethods.length === 10)).toBe(true);
  });
});

describe('relation definitions', () => {
  it('refuses bad relation definitions (UsageError)', () => {
    expect(() => belongsTo(Person, 'org', Organization, 'name')).toThrow(/is text/);
    // A relation built by hand is checked too: its names go into SQL.
    const [forged] = manyToMany(Investor, 'forged', Investment, 'forgedBack', { through: 'x' });
    expect(() =>
      new SchemaRegistry([Investor, Investment]).relate({
        ...(forged as Extract<typeof forged, { kind: 'manyToMany' }>),
        through: 'x"; DROP TABLE investor; --',
      }),
    ).toThrow(UsageError);
    expect(() => new SchemaRegistry([Investor]).relate(forged as never)).toThrow(
      expect.objectContaining({ code: 'UNREGISTERED_MODEL' }),
    );
    expect(() =>
      new SchemaRegistry([Investor, Investment]).relate(forged as never).relate(forged as never),
    ).toThrow(expect.objectContaining({ code: 'DUPLICATE_RELATION' }));
    expect(() =>
      new SchemaRegistry([Person]).register(model('other', { a: z.string() }, { table: 'person' })),
    ).toThrow(expect.objectContaining({ name: 'UsageError', code: 'DUPLICATE_TABLE' }));
    expect(() => belongsTo(Person, 'name', Organization, 'organizationId')).toThrow(
      /already a field/,
    );
  });
});
