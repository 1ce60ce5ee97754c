// rococo's SurrealDB examples, in Libretto's terms: email → login method → person →
// organization as record links fetched by SurrealDB's own FETCH, and investors and
// investments related both ways by `investswith` graph edges.
import { belongsTo, manyToMany, model, SchemaRegistry } from 'libretto/data';
import { type SurrealDatabase, surrealRepository } from 'libretto/surrealdb';
import { RecordId } from 'surrealdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openSurreal } from './store.js';

const Email = model('email', { emailAddress: z.string() }, { versioned: true });
const LoginMethod = model(
  'login_method',
  { methodType: z.string(), emailId: z.uuid().nullable() },
  { versioned: true },
);
const Person = model(
  'person',
  { name: z.string(), loginMethodId: z.uuid().nullable() },
  { versioned: true },
);
const Organization = model(
  'organization',
  { name: z.string(), personId: z.uuid().nullable() },
  { versioned: true },
);
const Investor = model(
  'investor',
  { name: z.string(), personId: z.uuid().nullable() },
  { versioned: true },
);
const Investment = model('investment', { name: z.string() }, { versioned: true });

const schema = new SchemaRegistry(
  [Email, LoginMethod, Person, Organization, Investor, Investment],
  {
    relations: [
      belongsTo(LoginMethod, 'email', Email, 'emailId', { references: false }),
      belongsTo(Person, 'loginMethod', LoginMethod, 'loginMethodId', { references: false }),
      belongsTo(Organization, 'person', Person, 'personId', { references: false }),
      belongsTo(Investor, 'person', Person, 'personId', { references: false }),
      manyToMany(Investor, 'investments', Investment, 'investors', { through: 'investswith' }),
    ],
  },
);

type EmailE = model.Infer<typeof Email>;
type LoginE = model.Infer<typeof LoginMethod> & { email: EmailE | null };
type PersonE = model.Infer<typeof Person> & { loginMethod: LoginE | null };

describe('rococo SurrealDB examples', () => {
  let db: SurrealDatabase;
  beforeAll(async () => {
    db = await openSurreal('seed');
    await db.prepare(schema);
  });
  afterAll(() => db?.close());

  const repos = () => ({
    emails: surrealRepository(Email, db, { schema }),
    logins: surrealRepository(LoginMethod, db, { schema }),
    people: surrealRepository(Person, db, { schema }),
    orgs: surrealRepository(Organization, db, { schema }),
  });

  /** The seed's chain, saved from the top down as the seed does (links are not checked). */
  async function seedChain() {
    const { emails, logins, people, orgs } = repos();
    const email = Email.create({ emailAddress: 'test@example.com' });
    const login = LoginMethod.create({ methodType: 'email-password', emailId: email.entityId });
    const person = Person.create({ name: 'Axel', loginMethodId: login.entityId });
    const org = Organization.create({ name: 'Organization1', personId: person.entityId });
    await orgs.save(org);
    await people.save(person);
    await logins.save(login);
    await emails.save(email);
    return { email, login, person, org };
  }

  it('stores records keyed table:⟨uuid⟩ with belongsTo fields as record links', async () => {
    const { person, org } = await seedChain();
    const [[stored]] = await db.client.query<[Record<string, unknown>[]]>('SELECT * FROM $id', {
      id: new RecordId('organization', org.entityId),
    });
    expect(String(stored?.id)).toBe(`organization:⟨${org.entityId}⟩`);
    expect(stored?.person_id).toBeInstanceOf(RecordId);
    expect(String(stored?.person_id)).toBe(`person:⟨${person.entityId}⟩`);
    expect(stored).toMatchObject({ name: 'Organization1', active: true, previous_version: null });
  });

  it('fetches person, person.loginMethod, person.loginMethod.email by FETCH chaining', async () => {
    const { org, person, login, email } = await seedChain();
    const { orgs } = repos();
    const plain = await orgs.getOne({ entityId: org.entityId });
    expect(plain?.personId).toBe(person.entityId);
    expect(plain).not.toHaveProperty('person');

    const one = await orgs.getOne<{ person: PersonE }>(
      { entityId: org.entityId },
      { fetchRelated: ['person'] },
    );
    expect(one?.person.name).toBe('Axel');
    expect(one?.person.loginMethodId).toBe(login.entityId);

    const chained = await orgs.get<{ person: PersonE }>(org.entityId, {
      fetchRelated: ['person', 'person.loginMethod', 'person.loginMethod.email'],
    });
    expect(chained.person.entityId).toBe(person.entityId);
    expect(chained.person.loginMethod?.entityId).toBe(login.entityId);
    expect(chained.person.loginMethod?.email?.entityId).toBe(email.entityId);
    expect(chained.person.loginMethod?.email?.emailAddress).toBe('test@example.com');
  });

  it('relates investors and investments by edges, read from both sides with chaining', async () => {
    const { person, email } = await seedChain();
    const investors = surrealRepository(Investor, db, { schema });
    const investments = surrealRepository(Investment, db, { schema });
    const [i1, i2, i3] = await investors.saveAll(
      ['Investor1', 'Investor2', 'Investor3'].map((name) =>
        Investor.create({ name, personId: person.entityId }),
      ),
    );
    const [m1, m2, m3] = await investments.saveAll(
      ['Investment1', 'Investment2', 'Investment3'].map((name) => Investment.create({ name })),
    );
    if (!i1 || !i2 || !i3 || !m1 || !m2 || !m3) throw new Error('not saved');
    // From either side: the relation's name on the repository's own model.
    await investors.relate('investments', i1, m2);
    await investments.relate('investors', m3, i1);
    await investors.relate('investments', i2, m1);
    await investors.relate('investments', i2, m3);
    await investments.relate('investors', m1, i3);
    await investments.relate('investors', m2, i3);

    const edges = await db.client.query<[{ in: RecordId; out: RecordId }[]]>(
      'SELECT in, out FROM investswith',
    );
    expect(edges[0]).toHaveLength(6);
    // As rococo relates them: investor->investswith->investment, whichever side relate is called on.
    expect(edges[0].every((e) => e.in.table.name === 'investor')).toBe(true);
    expect(edges[0].every((e) => e.out.table.name === 'investment')).toBe(true);

    type WithInvestors = { investors: (model.Infer<typeof Investor> & { person: PersonE })[] };
    const all = await investments.getMany<WithInvestors>({
      where: { entityId: { in: [m1.entityId, m2.entityId, m3.entityId] } },
      fetchRelated: [
        'investors',
        'investors.person',
        'investors.person.loginMethod',
        'investors.person.loginMethod.email',
      ],
    });
    const names = Object.fromEntries(
      all.map((m) => [m.name, m.investors.map((i) => i.name).sort()]),
    );
    expect(names).toEqual({
      Investment1: ['Investor2', 'Investor3'],
      Investment2: ['Investor1', 'Investor3'],
      Investment3: ['Investor1', 'Investor2'],
    });
    for (const m of all) {
      for (const i of m.investors) {
        expect(i.person.loginMethod?.email?.emailAddress).toBe(email.emailAddress);
      }
    }

    const withInvestments = await investors.getOne<{ investments: { name: string }[] }>(
      { entityId: i1.entityId },
      { fetchRelated: ['investments'] },
    );
    expect(withInvestments?.investments.map((m) => m.name).sort()).toEqual([
      'Investment2',
      'Investment3',
    ]);
  });
});
