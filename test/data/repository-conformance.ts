// The repository conformance suite: what a user of `ModelRepository` sees, whatever stores the
// entities (PostgreSQL, PGlite, the HA pool, MariaDB, SurrealDB, DynamoDB). It speaks only the
// public repository API and `libretto/data` models — no SQL, no Database — so any store runs it
// by giving a `StoreBackend`; what a store cannot do it names as gaps, and the cases needing
// them show as skipped with the gap in their name.
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  RelatedResourceNotFoundError,
  UsageError,
  ValidationError,
} from 'libretto';
import {
  belongsTo,
  type Fields,
  hasMany,
  type Model,
  type ModelOptions,
  type ModelRepository,
  manyToMany,
  model,
  type RepositoryOptions,
  repository,
  SchemaRegistry,
} from 'libretto/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failure } from '../failure.js';
import type { DataBackend } from './data-backends.js';

/** What a store may lack; the suite skips those cases, printing why; the store's own tests assert its typed refusal. */
export type StoreGap =
  | 'transactions-read-own-writes' // reads inside transaction() see its writes (DynamoDB: no)
  | 'unique-constraints' // model `unique` enforced (AlreadyExistsError DUPLICATE_VALUE)
  | 'foreign-keys' // belongsTo enforced on write/delete
  | 'checks' // model `checks` (SQL text) enforced
  | 'offset' // offset / page > 1 without reading skipped items
  | 'sort-any-field' // sort by any field
  | 'caseless-like'; // ilike-style operators

/** A store the suite runs on: its name in test titles, what it lacks, and how to open it. */
export interface StoreBackend {
  readonly name: string;
  readonly gaps?: ReadonlySet<StoreGap>;
  open(): Promise<OpenStore>;
}

/** One opened store: a namespace of its own (database, schema, table prefix) until `close`. */
export interface OpenStore {
  /** Creates what these models need (tables, indexes, audit tables), in a namespace of its own per open(). */
  prepare(registry: SchemaRegistry): Promise<void>;
  /** The store's repository of a model; `options.schema` gives relations, `options.changedBy` the default author. */
  repository<N extends string, F extends Fields, O extends ModelOptions<F>>(
    model: Model<N, F, O>,
    options?: Pick<RepositoryOptions, 'schema' | 'changedBy'>,
  ): ModelRepository<N, F, O>;
  /** Runs `work` as one transaction of this store (every repository call inside joins it). */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A SQL data backend (test/data/data-backends.ts) as a store: each `open` is a fresh database,
 * `prepare` is `ensureSchema`, a transaction is the database's (repositories join it ambiently).
 * Closing the store drops its database; the data backend itself (its server) is the caller's.
 */
export function sqlStoreBackend(backend: DataBackend): StoreBackend {
  return {
    name: backend.name,
    async open() {
      const opened = await backend.open();
      const db = opened.db;
      return {
        prepare: (registry) => registry.ensureSchema(db),
        repository: (m, options) => repository(m, db, options),
        transaction: (work) => db.transaction(() => work()),
        close: () => opened.close(),
      };
    },
  };
}

// ——— the models every store stores ———

export const Person = model(
  'person',
  {
    firstName: z.string().min(1),
    lastName: z.string().min(1),
    email: z.email(),
    age: z.int32().optional(),
    nickname: z.string().nullable(),
  },
  { versioned: true, timestamps: true },
);
export type Person = model.Infer<typeof Person>;

export const Tag = model('tag', { label: z.string(), weight: z.number() });

const Membership = model(
  'membership',
  { orgCode: z.string(), personId: z.uuid(), role: z.enum(['owner', 'member']) },
  { primaryKey: ['orgCode', 'personId'], softDelete: true },
);

const Item = model('op_item', { name: z.string(), n: z.int32(), note: z.string().nullable() });

export const Note = model('plain_note', { text: z.string() }, { versioned: true, audit: false });

const Row = model('same_row', { group: z.string() });

const Reading = model(
  'reading',
  { sensor: z.int(), at: z.date(), value: z.number() },
  { primaryKey: ['sensor', 'at'] },
);

/** Every field kind (also for the SQL-only checks of repository.test.ts). */
export enum Level {
  Junior = 1,
  Senior = 2,
}
const Address = model('address', { city: z.string(), since: z.date() }, { embedded: true });
export const Profile = model(
  'profile',
  {
    handle: z.string(),
    level: z.enum(Level),
    score: z.int(),
    balance: z.bigint(),
    ratio: z.number(),
    settings: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
    home: Address.schema,
    previous: z.array(Address.schema),
    bio: z.string().optional(),
  },
  {
    extra: true,
    aliases: { handle: 'user_handle' },
    computed: { label: (p) => `@${p.handle}` },
    saveComputed: true,
  },
);

export const Entry = model(
  'entry',
  {
    title: z.string().transform((s) => s.trim()),
    count: z.string().regex(/^\d+$/).transform(Number).pipe(z.int32()),
    at: z.iso
      .datetime()
      .transform((s) => new Date(s))
      .pipe(z.date()),
    tags: z
      .string()
      .transform((s) => s.split(','))
      .pipe(z.array(z.string())),
  },
  { versioned: true },
);

// Relations: a member belongs to an organization (and to a mentor, a member too); login methods
// belong to members; investors and investments pair up many-to-many.
const Organization = model('organization', { name: z.string() }, { versioned: true });
const Member = model(
  'member',
  {
    name: z.string(),
    organizationId: z.uuid().nullable(),
    mentorId: z.uuid().nullable().default(null),
  },
  { versioned: true },
);
const LoginMethod = model('login_method', { kind: z.string(), memberId: z.uuid() });
/** Names an organization by a key the store does not check (`references: false`). */
const Memo = model('memo', { text: z.string(), organizationId: z.uuid() });
const Investor = model('investor', { name: z.string() }, { extra: true });
// Keyed by an integer beyond 32 bits: relations still match.
const Investment = model(
  'investment',
  { code: z.int(), title: z.string() },
  { primaryKey: ['code'] },
);
type Organization = model.Infer<typeof Organization>;
type Member = model.Infer<typeof Member>;
type LoginMethod = model.Infer<typeof LoginMethod>;

// Constraints: each on a model of its own, registered only on stores that enforce it.
const Company = model('company', { name: z.string(), vat: z.string() }, { unique: ['vat'] });
const Employee = model(
  'employee',
  { email: z.email(), companyId: z.uuid().nullable(), badge: z.int() },
  { versioned: true, unique: ['email', ['companyId', 'badge']] },
);
const Handle = model('handle', { name: z.string() }, { softDelete: true, unique: ['name'] });
const Adult = model('adult', { age: z.int() }, { versioned: true, checks: { adult: 'age >= 18' } });

/** The registry a store prepares: every model, constraint models only where enforced. */
function conformanceSchema(gaps: ReadonlySet<StoreGap>): SchemaRegistry {
  const references = !gaps.has('foreign-keys');
  return new SchemaRegistry(
    [
      Person,
      Tag,
      Membership,
      Item,
      Note,
      Row,
      Reading,
      Profile,
      Entry,
      Organization,
      Member,
      LoginMethod,
      Memo,
      Investor,
      Investment,
      ...(gaps.has('unique-constraints') ? [] : [Company, Employee, Handle]),
      ...(gaps.has('checks') ? [] : [Adult]),
    ],
    {
      relations: [
        belongsTo(Member, 'organization', Organization, 'organizationId', { references }),
        hasMany(Organization, 'members', Member, 'organizationId'),
        belongsTo(Member, 'mentor', Member, 'mentorId', { references }),
        belongsTo(LoginMethod, 'member', Member, 'memberId', { references }),
        hasMany(Member, 'loginMethods', LoginMethod, 'memberId'),
        belongsTo(Memo, 'organization', Organization, 'organizationId', { references: false }),
        manyToMany(Investor, 'investments', Investment, 'investors', { through: 'invests_with' }),
      ],
    },
  );
}

const ada = () =>
  Person.create({
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.com',
    nickname: null,
  });

/** Runs `work` once, however many tests ask for what it seeds. */
function once(work: () => Promise<unknown>): () => Promise<unknown> {
  let done: Promise<unknown> | undefined;
  return () => {
    done ??= work();
    return done;
  };
}

/**
 * Registers the suite on `backend`: one `open()` for all its cases, which run in order and share
 * its tables. A case needing what the store lacks is skipped, its title naming the gap.
 *
 * @example
 * // test/<store>/repository-conformance.test.ts
 * repositoryConformance({
 *   name: 'my store',
 *   gaps: new Set(['checks']),
 *   async open() {
 *     const store = await openMyStore(); // in a namespace (database, table prefix) of its own
 *     return {
 *       prepare: (registry) => store.prepare(registry),
 *       repository: (model, options) => store.repository(model, options),
 *       transaction: (work) => store.transaction(work),
 *       close: () => store.close(),
 *     };
 *   },
 * });
 */
export function repositoryConformance(backend: StoreBackend): void {
  const gaps: ReadonlySet<StoreGap> = backend.gaps ?? new Set();
  const schema = conformanceSchema(gaps);
  /** A case needing `needs`: skipped, saying why, on a store lacking any of them. */
  const storeCase = (title: string, fn: () => Promise<void>, ...needs: StoreGap[]) => {
    const lacking = needs.filter((gap) => gaps.has(gap));
    if (lacking.length === 0) it(title, fn);
    else it.skip(`${title} [store lacks ${lacking.join(', ')}]`, fn);
  };

  describe(`repository conformance on ${backend.name}`, () => {
    let store: OpenStore;
    let people: ModelRepository<'person', typeof Person.fields, typeof Person.options>;
    const repo = <N extends string, F extends Fields, O extends ModelOptions<F>>(
      m: Model<N, F, O>,
    ) => store.repository(m, { schema });

    beforeAll(async () => {
      store = await backend.open();
      await store.prepare(schema);
      people = store.repository(Person);
    });
    afterAll(() => store?.close());

    const seedTags = once(() =>
      repo(Tag).bulkCreate(
        Array.from({ length: 30 }, (_, i) =>
          Tag.create({ label: `tag_${String(i).padStart(2, '0')}%`, weight: i }),
        ),
      ),
    );
    const seedItems = once(() =>
      repo(Item).bulkCreate([
        Item.create({ name: 'Alpha', n: 1, note: null }),
        Item.create({ name: 'alphabet', n: 2, note: 'x' }),
        Item.create({ name: 'Beta', n: 3, note: 'y' }),
        Item.create({ name: 'gamma_ray', n: 4, note: null }),
      ]),
    );
    /** The names of the items matching, ordered by `n` here (no sort asked of the store). */
    const names = async (where: object) => {
      await seedItems();
      const found = await repo(Item).getMany({ where: where as never });
      return found.sort((a, b) => a.n - b.n).map((i) => i.name);
    };

    // ——— reads and writes by key ———

    storeCase(
      'saves a new entity and reads it back exactly: get, getOrNone, contains, range',
      async () => {
        const saved = await people.save(ada(), { changedById: 'admin' });
        const read = await people.get(saved.entityId);
        expect(read).toEqual(saved);
        expect(read.changedById).toBe('admin');
        expect(read.previousVersion).toBeNull();
        expect('age' in read).toBe(false);
        expect(await people.getOrNone(randomUUID())).toBeUndefined();
        await expect(people.get(randomUUID())).rejects.toThrow(NotFoundError);
        await expect(people.get(randomUUID())).rejects.toMatchObject({ code: 'ENTITY_NOT_FOUND' });
        expect(await people.contains(saved.entityId)).toBe(true);
        expect(await people.contains(randomUUID())).toBe(false);
        expect(await people.range([saved.entityId, randomUUID()])).toEqual([saved]);
        expect(await people.range([])).toEqual([]);
        // The repository's author, when a save names none.
        const authored = store.repository(Person, { changedBy: () => 'ambient-user' });
        expect((await authored.save(ada())).changedById).toBe('ambient-user');
      },
    );

    storeCase(
      'saves an unversioned entity as an upsert; delete and hardDelete remove it',
      async () => {
        const tags = repo(Tag);
        const t = await tags.save(Tag.create({ label: 'upsert', weight: 1 }));
        expect(await tags.get(t.entityId)).toEqual(t);
        const updated = await tags.save({ ...t, weight: 2 });
        expect(await tags.get(t.entityId)).toEqual(updated);
        expect(await tags.count({ label: 'upsert' })).toBe(1);
        // A copy that was never stored (not the object create() returned) is inserted.
        const copy = { ...Tag.create({ label: 'upsert copy', weight: 3 }) };
        expect(await tags.get((await tags.save(copy)).entityId)).toEqual(copy);
        expect(await tags.hardDelete(t.entityId)).toBe(true);
        expect(await tags.hardDelete(t.entityId)).toBe(false);
        expect(await tags.getOrNone(t.entityId)).toBeUndefined();
        expect(await tags.delete(copy)).toBeUndefined();
        expect(await tags.contains(copy.entityId)).toBe(false);
      },
    );

    storeCase('versions each save, history oldest first, refuses stale saves', async () => {
      let p: Person = await people.save(ada());
      const versions = [p.version];
      for (let i = 1; i < 5; i++) {
        p = await people.save({ ...p, age: 30 + i });
        versions.push(p.version);
      }
      const history = await people.history(p.entityId);
      expect(history.map((h) => h.version)).toEqual(versions);
      expect(history.map((h) => h.previousVersion)).toEqual([null, ...versions.slice(0, -1)]);
      expect(history.map((h) => h.age)).toEqual([undefined, 31, 32, 33, 34]);
      expect(history.at(-1)).toEqual(p);

      const stale = history[2] as Person;
      await expect(people.save({ ...stale, firstName: 'Stale' })).rejects.toThrow(ConflictError);
      await expect(people.save({ ...stale, firstName: 'Stale' })).rejects.toMatchObject({
        code: 'STALE_VERSION',
      });
      expect((await people.get(p.entityId)).firstName).toBe('Ada');
      expect(await people.history(p.entityId)).toHaveLength(5);
    });

    storeCase('saves a created entity, a copy of one, and the same object again', async () => {
      const created = ada();
      const copy = { ...ada(), firstName: 'Copy' }; // not the object create() returned
      const [a, b] = [await people.save(created), await people.save(copy)];
      expect(await people.get(a.entityId)).toEqual(a);
      expect(await people.get(b.entityId)).toEqual(b);
      // The object create() returned is stored at its version: saving it again updates it.
      const again = await people.save(created);
      expect(again.previousVersion).toBe(created.version);
      const [bulk] = await people.bulkCreate([ada()]);
      expect((await people.save(bulk as Person)).previousVersion).toBe(bulk?.version);
    });

    storeCase('saving a copy save already replaced says this copy is out of date', async () => {
      const created = await people.save(ada());
      const saved = await people.save({ ...created, age: 31 });
      const { version: after } = saved;
      expect((await people.save(saved)).previousVersion).toBe(after);
      const error = await failure(people.save(saved));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.code).toBe('OUT_OF_DATE_COPY');
      expect(error.message).toMatch(
        new RegExp(
          `^This copy of person ${created.entityId} is out of date: it was saved already, as version [0-9a-f-]{36}; save the object save returned$`,
        ),
      );
      const other = { ...(await people.get(created.entityId)) };
      await people.save({ ...other });
      const stale = await failure(people.save(other));
      expect(stale.code).toBe('STALE_VERSION');
      expect(stale.message).toContain('was saved by someone else');
    });

    storeCase(
      'deletes a versioned entity as a new, inactive version; its history stays',
      async () => {
        const p = await people.save(ada());
        const gone = await people.delete(p);
        expect(gone?.active).toBe(false);
        await expect(people.get(p.entityId)).rejects.toThrow(NotFoundError);
        expect(await people.getOrNone(p.entityId)).toBeUndefined();
        expect(await people.contains(p.entityId)).toBe(false);
        expect(await people.contains(p.entityId, { includeDeleted: true })).toBe(true);
        expect((await people.get(p.entityId, { includeDeleted: true })).active).toBe(false);
        expect((await people.history(p.entityId)).map((h) => h.active)).toEqual([true, false]);
      },
    );

    storeCase(
      'prepareForSave then save; hardDelete; a stale copy of a hard-deleted entity is refused',
      async () => {
        const p = await people.save(ada());
        const prepared = Person.prepareForSave({ ...p, lastName: 'Prepared' }, 'tool');
        const saved = await people.save(prepared);
        expect(saved.version).toBe(prepared.version);
        expect(saved.previousVersion).toBe(p.version);
        expect((await people.history(p.entityId)).map((h) => h.lastName)).toEqual([
          'Lovelace',
          'Prepared',
        ]);
        // A first version that names a previous one still starts the history.
        const imported = { ...Person.prepareForSave(ada()) };
        await people.save(imported);
        expect(await people.history(imported.entityId)).toHaveLength(1);

        const gone = await people.get(p.entityId);
        expect(await people.hardDelete(p.entityId)).toBe(true);
        expect(await people.hardDelete(p.entityId)).toBe(false);
        await expect(people.save({ ...gone, lastName: 'Back' })).rejects.toMatchObject({
          name: 'ConflictError',
          code: 'ENTITY_DELETED',
          message: /deleted since/,
        });
        expect(await people.getOrNone(p.entityId, { includeDeleted: true })).toBeUndefined();
      },
    );

    storeCase('a versioned model without audit keeps no history', async () => {
      const notes = repo(Note);
      const n = await notes.save(Note.create({ text: 'a' }));
      const n2 = await notes.save({ ...n, text: 'b' });
      await expect(notes.save({ ...n, text: 'c' })).rejects.toMatchObject({
        name: 'ConflictError',
        code: 'STALE_VERSION',
      });
      expect((await notes.get(n.entityId)).text).toBe('b');
      expect(n2.previousVersion).toBe(n.version);
      await expect(notes.history(n.entityId)).rejects.toMatchObject({
        name: 'UsageError',
        code: 'NO_HISTORY',
        message: /keeps no history/,
      });
    });

    storeCase('composite keys and soft delete of an unversioned model (deletedAt)', async () => {
      const members = repo(Membership);
      const personId = randomUUID();
      const m = await members.save(Membership.create({ orgCode: 'acme', personId, role: 'owner' }));
      expect(await members.get({ orgCode: 'acme', personId })).toEqual(m);
      await members.save({ ...m, role: 'member' });
      expect((await members.get({ orgCode: 'acme', personId })).role).toBe('member');
      // Deleting through an older copy sets the mark only: the stored role stays.
      const deleted = await members.delete(m);
      expect(deleted?.role).toBe('member');
      expect(deleted?.deletedAt).toBeInstanceOf(Date);
      await expect(members.delete(m)).rejects.toThrow(NotFoundError);
      expect(await members.getOrNone({ orgCode: 'acme', personId })).toBeUndefined();
      expect(await members.count({ orgCode: 'acme' })).toBe(0);
      expect(await members.count({ orgCode: 'acme' }, { includeDeleted: true })).toBe(1);
      expect(
        (await members.getOrNone({ orgCode: 'acme', personId }, { includeDeleted: true }))
          ?.deletedAt,
      ).toBeInstanceOf(Date);
      expect(await members.hardDelete({ orgCode: 'acme', personId })).toBe(true);
      expect(
        await members.getOrNone({ orgCode: 'acme', personId }, { includeDeleted: true }),
      ).toBeUndefined();
    });

    storeCase('keys of any type: timestamps and integers', async () => {
      const readings = repo(Reading);
      const at = new Date('2026-01-02T03:04:05.678Z');
      const r = await readings.save(Reading.create({ sensor: 2 ** 40, at, value: 1.5 }));
      expect(await readings.get({ sensor: 2 ** 40, at })).toEqual(r);
      expect(await readings.range([{ sensor: 2 ** 40, at }])).toEqual([r]);
      expect(await readings.contains({ sensor: 2 ** 40, at: new Date(0) })).toBe(false);
    });

    storeCase(
      'stores every kind of field and reads it back exactly (nested, enums, bigint, extra)',
      async () => {
        const profiles = repo(Profile);
        const p = {
          ...Profile.create({
            handle: "o'brien; --",
            level: Level.Senior,
            score: 2 ** 40,
            balance: -(10n ** 30n),
            ratio: 0.1 + 0.2,
            settings: { theme: 'dark', nested: { n: [1, 2] } },
            tags: ['a', 'b,c', '{d}'],
            home: { city: 'Oslo', since: new Date('2001-02-03T04:05:06.789Z') },
            previous: [{ city: 'Bergen', since: new Date(0) }],
          }),
          colour: 'red',
        };
        await profiles.save(p);
        const read = await profiles.get(p.entityId);
        expect(read).toEqual(p);
        expect(Profile.toDict(read)).toEqual(Profile.toDict(p));
        const [bulk] = await profiles.bulkCreate([{ ...p, entityId: randomUUID() }]);
        expect(await profiles.get((bulk as typeof p).entityId)).toEqual(bulk);
      },
    );

    storeCase(
      'stores .transform() and .pipe() fields as what they parse to, and reads them back exactly',
      async () => {
        const entries = repo(Entry);
        const e = Entry.create({
          title: '  Hello  ',
          count: '42',
          at: '2026-01-02T03:04:05.678Z',
          tags: 'a,b',
        });
        expect(e).toMatchObject({ title: 'Hello', count: 42, tags: ['a', 'b'] });
        const saved = await entries.save(e);
        expect(await entries.get(e.entityId)).toEqual(saved);
        const updated = await entries.save({ ...saved, count: 7, at: new Date(0) });
        expect(await entries.get(e.entityId)).toEqual(updated);
        expect(await entries.getMany({ where: { count: { lt: 10 }, title: 'Hello' } })).toEqual([
          updated,
        ]);
      },
    );

    // ——— queries ———

    storeCase('every case-sensitive filter operation; limit', async () => {
      expect(await names({ n: 2 })).toEqual(['alphabet']);
      expect(await names({ n: { eq: 2 } })).toEqual(['alphabet']);
      expect(await names({ n: { ne: 2 } })).toEqual(['Alpha', 'Beta', 'gamma_ray']);
      expect(await names({ n: { lt: 2 } })).toEqual(['Alpha']);
      expect(await names({ n: { lte: 2 } })).toEqual(['Alpha', 'alphabet']);
      expect(await names({ n: { gt: 3 } })).toEqual(['gamma_ray']);
      expect(await names({ n: { gte: 3 } })).toEqual(['Beta', 'gamma_ray']);
      expect(await names({ n: { in: [1, 4] } })).toEqual(['Alpha', 'gamma_ray']);
      expect(await names({ n: { notIn: [1, 4] } })).toEqual(['alphabet', 'Beta']);
      expect(await names({ n: { in: [] } })).toEqual([]);
      expect(await names({ name: { like: 'lpha' } })).toEqual(['Alpha', 'alphabet']);
      expect(await names({ name: { like: 'ALPHA' } })).toEqual([]);
      expect(await names({ name: { startsWith: 'alpha' } })).toEqual(['alphabet']);
      expect(await names({ name: { endsWith: '_ray' } })).toEqual(['gamma_ray']);
      // `_` and `%` are literal, never wildcards.
      expect(await names({ name: { like: 'lph_' } })).toEqual([]);
      expect(await names({ name: { like: 'mm%' } })).toEqual([]);
      expect(await names({ name: { like: 'a_r' } })).toEqual(['gamma_ray']);
      expect(await names({ note: { isNull: true } })).toEqual(['Alpha', 'gamma_ray']);
      expect(await names({ note: null })).toEqual(['Alpha', 'gamma_ray']);
      expect(await names({ note: { isNotNull: true } })).toEqual(['alphabet', 'Beta']);
      expect(await names({ n: { gte: 2, lt: 4 }, name: { like: 'a' } })).toEqual([
        'alphabet',
        'Beta',
      ]);
      const items = repo(Item);
      expect(await items.count()).toBe(4);
      expect(await items.count({ note: null })).toBe(2);
      expect(await items.getMany({ limit: 2 })).toHaveLength(2);
      expect((await items.getOne({ n: 3 }))?.name).toBe('Beta');
      expect(await items.getOne({ n: 99 })).toBeUndefined();
    });

    storeCase(
      'caseless filter operations: ilike, contains',
      async () => {
        expect(await names({ name: { ilike: 'ALPHA' } })).toEqual(['Alpha', 'alphabet']);
        expect(await names({ name: { contains: 'BET' } })).toEqual(['alphabet', 'Beta']);
        expect(await names({ n: { gte: 2, lt: 4 }, name: { ilike: 'a' } })).toEqual([
          'alphabet',
          'Beta',
        ]);
      },
      'caseless-like',
    );

    storeCase('refuses wrong operators and conditions of the wrong shape', async () => {
      // An operator the code names wrongly is a programming mistake; a value of the wrong
      // shape (as a client may send it) is a ValidationError.
      await expect(names({ n: { between: [1, 2] } })).rejects.toMatchObject({
        name: 'UsageError',
        code: 'UNKNOWN_OPERATOR',
      });
      for (const bad of [{ n: { in: 3 } }, { name: { like: 5 } }]) {
        await expect(names(bad)).rejects.toThrow(ValidationError);
        await expect(names(bad)).rejects.toMatchObject({ code: 'INVALID_CONDITION' });
      }
      const items = repo(Item);
      await expect(items.search({ pageSize: 1001 })).rejects.toMatchObject({
        name: 'ValidationError',
        code: 'PAGE_SIZE_EXCEEDED',
        message: /at most 1000/,
      });
      await expect(items.search({ page: 0 })).rejects.toMatchObject({
        name: 'ValidationError',
        code: 'INVALID_PAGE',
      });
    });

    storeCase(
      'sorts by any field, either way',
      async () => {
        await seedItems();
        const items = repo(Item);
        const sorted = async (sort: unknown, limit?: number) =>
          (
            await items.getMany({
              sort: sort as never,
              ...(limit === undefined ? {} : { limit }),
            })
          ).map((i) => i.name);
        expect(await sorted(['n'])).toEqual(['Alpha', 'alphabet', 'Beta', 'gamma_ray']);
        expect(await sorted(['-n'])).toEqual(['gamma_ray', 'Beta', 'alphabet', 'Alpha']);
        expect(await sorted([{ field: 'n', order: 'desc' }], 2)).toEqual(['gamma_ray', 'Beta']);
        expect(await sorted('-n', 1)).toEqual(['gamma_ray']);
        expect((await items.getOne({ note: null }, { sort: ['-n'] }))?.name).toBe('gamma_ray');
        expect((await items.getOne({ note: null }, { sort: ['n'] }))?.name).toBe('Alpha');
      },
      'sort-any-field',
    );

    storeCase('search: a page of matches and the total over all pages', async () => {
      await seedTags();
      const tags = repo(Tag);
      const page = await tags.search({ where: { weight: { gte: 10, lt: 20 } }, pageSize: 4 });
      expect(page.total).toBe(10);
      expect(page.items).toHaveLength(4);
      expect(page.items.every((t) => t.weight >= 10 && t.weight < 20)).toBe(true);
      expect((await tags.search({ where: { label: { endsWith: '5%' } } })).total).toBe(3);
      // `_` is literal: as a wildcard it would also match tag_10 and tag_20 (12).
      expect((await tags.search({ where: { label: { like: '_0' } } })).total).toBe(10);
      const all = await tags.search({ where: { label: { startsWith: 'tag_' } } });
      expect(all.total).toBe(30);
      expect(all.items).toHaveLength(20);
      expect(await tags.count({ label: { in: [] } })).toBe(0);
      expect(await tags.search({ where: { label: 'none such' } })).toEqual({ items: [], total: 0 });
    });

    storeCase(
      'search: later pages, sorted; past the end, still the total',
      async () => {
        await seedTags();
        const tags = repo(Tag);
        const page = await tags.search({
          where: { weight: { gte: 10, lt: 20 } },
          sort: ['-weight'],
          page: 2,
          pageSize: 4,
        });
        expect(page.total).toBe(10);
        expect(page.items.map((t) => t.weight)).toEqual([15, 14, 13, 12]);
        await seedItems();
        const skipped = await repo(Item).getMany({ sort: ['n'], limit: 2, offset: 1 });
        expect(skipped.map((i) => i.name)).toEqual(['alphabet', 'Beta']);
      },
      'offset',
      'sort-any-field',
    );

    storeCase(
      'pages and offsets neither repeat nor skip rows',
      async () => {
        const rows = repo(Row);
        await rows.bulkCreate(Array.from({ length: 25 }, () => Row.create({ group: 'unsorted' })));
        const where = { group: 'unsorted' };
        const seen: string[] = [];
        for (let page = 1; page <= 5; page++) {
          const { items, total } = await rows.search({ where, page, pageSize: 5 });
          expect(total).toBe(25);
          seen.push(...items.map((r) => r.entityId));
        }
        expect(new Set(seen).size).toBe(25);
        expect((await rows.search({ where, page: 99 })).total).toBe(25);
        const offsets = [0, 10, 20].map((offset) => rows.getMany({ where, limit: 10, offset }));
        expect(new Set((await Promise.all(offsets)).flat().map((r) => r.entityId)).size).toBe(25);
      },
      'offset',
    );

    storeCase(
      'pages neither repeat nor skip rows with equal sort keys',
      async () => {
        const rows = repo(Row);
        await rows.bulkCreate(Array.from({ length: 25 }, () => Row.create({ group: 'g' })));
        const where = { group: 'g' };
        const seen: string[] = [];
        for (let page = 1; page <= 5; page++) {
          const { items } = await rows.search({ where, sort: ['group'], page, pageSize: 5 });
          seen.push(...items.map((r) => r.entityId));
        }
        expect(new Set(seen).size).toBe(25);
        const offsets = [0, 10, 20].map((offset) =>
          rows.getMany({ where, sort: ['group'], limit: 10, offset }),
        );
        expect(new Set((await Promise.all(offsets)).flat().map((r) => r.entityId)).size).toBe(25);
      },
      'offset',
      'sort-any-field',
    );

    storeCase('refuses what would silently match wrong rows, and malformed calls', async () => {
      await expect(
        people.getMany({ where: { lastName: { notIn: ['a', null] } } as never }),
      ).rejects.toThrow(/cannot hold null/);
      await expect(people.getMany({ where: { lastName: ['a'] } as never })).rejects.toThrow(
        /needs the `in` operator/,
      );
      await expect(people.getMany({ limit: 1e21 })).rejects.toMatchObject({
        name: 'ValidationError',
        code: 'INVALID_PAGE',
      });
      await expect(people.search({ page: 1e300 })).rejects.toThrow(ValidationError);
      await expect(people.range('abc' as never)).rejects.toMatchObject({
        name: 'UsageError',
        code: 'INVALID_QUERY',
      });
      await expect(people.getMany({ where: 'x' as never })).rejects.toMatchObject({
        code: 'INVALID_QUERY',
      });
      await expect(people.save(null as never)).rejects.toMatchObject({
        name: 'UsageError',
        code: 'NOT_AN_ENTITY',
      });
      await expect(people.delete(undefined as never)).rejects.toThrow(UsageError);
      const profiles = repo(Profile);
      const p = await profiles.save({
        ...Profile.create({
          handle: 'json',
          level: Level.Junior,
          score: 1,
          balance: 1n,
          ratio: 1,
          settings: { isNull: true },
          tags: [],
          home: { city: 'x', since: new Date(0) },
          previous: [],
        }),
      });
      // On a JSON field an object names operators too; equality is `eq`.
      expect(
        (await profiles.getMany({ where: { settings: { eq: { isNull: true } } } })).map(
          (x) => x.entityId,
        ),
      ).toContain(p.entityId);
      await expect(profiles.getMany({ where: { settings: { isNull: true } } })).resolves.toEqual(
        [],
      );
    });

    storeCase(
      'refuses malformed ids (ValidationError) and unknown fields (UsageError naming them)',
      async () => {
        await expect(people.get('not-a-uuid')).rejects.toMatchObject({
          name: 'ValidationError',
          code: 'INVALID_KEY',
          details: [{ path: 'id', message: 'expected a UUID' }],
        });
        await expect(people.getOrNone('not-a-uuid')).rejects.toMatchObject({ code: 'INVALID_KEY' });
        await expect(people.hardDelete('1; --')).rejects.toMatchObject({ code: 'INVALID_KEY' });
        await expect(repo(Reading).get('x' as never)).rejects.toMatchObject({
          name: 'ValidationError',
          code: 'INVALID_KEY',
        });
        await expect(
          people.getMany({ where: { 'last_name; DROP TABLE person': 'x' } as never }),
        ).rejects.toMatchObject({ name: 'UsageError', code: 'UNKNOWN_FIELD' });
        await expect(people.count({ nope: 'x' } as never)).rejects.toMatchObject({
          name: 'UsageError',
          code: 'UNKNOWN_FIELD',
          message: /"nope" is not a field of person/,
        });
        await expect(people.getMany({ sort: ['nope'] as never })).rejects.toMatchObject({
          name: 'UsageError',
          code: 'UNKNOWN_SORT_KEY',
          message: /"nope"/,
        });
      },
    );

    // ——— batches and transactions ———

    storeCase('saveAll, getOne, deleteAll: all or nothing', async () => {
      const [x, y] = await people.saveAll([
        { ...ada(), lastName: 'Many1' },
        { ...ada(), lastName: 'Many2' },
      ]);
      expect(await people.getOne({ lastName: 'Many2' })).toEqual(y);
      expect(await people.getOne({ lastName: 'Nobody' })).toBeUndefined();
      // One stale entity in the batch: none of the saves happens.
      const fresh = { ...ada(), lastName: 'Many3' };
      await expect(
        people.saveAll([fresh, { ...(y as Person), version: randomUUID() }]),
      ).rejects.toThrow(ConflictError);
      expect(await people.getOrNone(fresh.entityId)).toBeUndefined();
      // One stale entity in the batch: none of the deletes happens.
      await expect(
        people.deleteAll([x as Person, { ...(y as Person), version: randomUUID() }]),
      ).rejects.toThrow(ConflictError);
      expect(await people.count({ lastName: { in: ['Many1', 'Many2'] } })).toBe(2);
      await people.deleteAll([x as Person, y as Person]);
      expect(await people.count({ lastName: { in: ['Many1', 'Many2'] } })).toBe(0);
      expect(
        await people.count({ lastName: { in: ['Many1', 'Many2'] } }, { includeDeleted: true }),
      ).toBe(2);
    });

    storeCase(
      'bulkCreate: a duplicate key is an AlreadyExistsError, and nothing is inserted',
      async () => {
        const tags = repo(Tag);
        const [first] = await tags.bulkCreate([Tag.create({ label: 'bulk dup', weight: 1 })]);
        const fresh = Tag.create({ label: 'bulk fresh', weight: 2 });
        const error = await failure(
          tags.bulkCreate([fresh, { ...(first as model.Infer<typeof Tag>) }]),
        );
        expect(error).toBeInstanceOf(AlreadyExistsError);
        expect(await tags.getOrNone(fresh.entityId)).toBeUndefined();
        expect(await tags.count({ label: { in: ['bulk dup', 'bulk fresh'] } })).toBe(1);
        expect(await tags.bulkCreate([])).toEqual([]);
      },
    );

    storeCase(
      'a transaction commits its writes together; a failure in it undoes them all',
      async () => {
        const tags = repo(Tag);
        const p = ada();
        const t = Tag.create({ label: 'in transaction', weight: 1 });
        await expect(
          store.transaction(async () => {
            await people.save(p);
            await tags.save(t);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect(await people.getOrNone(p.entityId)).toBeUndefined();
        expect(await tags.getOrNone(t.entityId)).toBeUndefined();
        const done = await store.transaction(async () => {
          await people.save(p);
          await tags.save(t);
          return 'committed';
        });
        expect(done).toBe('committed');
        expect(await people.contains(p.entityId)).toBe(true);
        expect(await tags.contains(t.entityId)).toBe(true);
      },
    );

    storeCase(
      'reads inside a transaction see its writes',
      async () => {
        const p = ada();
        await store.transaction(async () => {
          const saved = await people.save(p);
          expect(await people.get(p.entityId)).toEqual(saved);
          expect(await people.count({ entityId: p.entityId })).toBe(1);
          const next = await people.save({ ...saved, age: 40 });
          expect((await people.history(p.entityId)).map((h) => h.version)).toEqual([
            saved.version,
            next.version,
          ]);
        });
        expect((await people.get(p.entityId)).age).toBe(40);
      },
      'transactions-read-own-writes',
    );

    storeCase(
      '50 concurrent saves from one stale read: exactly one wins, the rest conflict',
      async () => {
        const p = await people.save(ada());
        const outcomes = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => people.save({ ...p, lastName: `Writer ${i}` })),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const lost = outcomes.filter((o) => o.status === 'rejected');
        for (const o of lost) {
          expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
          expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'STALE_VERSION' });
        }
        const stored = await people.get(p.entityId);
        expect(stored).toEqual((won[0] as PromiseFulfilledResult<Person>).value);
        expect(await people.history(p.entityId)).toHaveLength(2);
      },
    );

    storeCase(
      '50 writers re-reading after each conflict: every change kept, a gap-free chain',
      async () => {
        const p = await people.save({ ...ada(), age: 0 });
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            for (;;) {
              const current = await people.get(p.entityId);
              try {
                await people.save({ ...current, age: (current.age ?? 0) + 1 });
                return;
              } catch (error) {
                if (!(error instanceof ConflictError)) throw error;
              }
            }
          }),
        );
        expect((await people.get(p.entityId)).age).toBe(50);
        const history = await people.history(p.entityId);
        expect(history.map((h) => h.age)).toEqual(Array.from({ length: 51 }, (_, i) => i));
        for (let i = 1; i < history.length; i++) {
          expect(history[i]?.previousVersion).toBe(history[i - 1]?.version);
        }
      },
    );

    // ——— relations ———

    storeCase('belongsTo two levels deep (a.b) and hasMany, nested', async () => {
      const orgs = repo(Organization);
      const members = repo(Member);
      const logins = repo(LoginMethod);
      const org = await orgs.save(Organization.create({ name: 'Acme' }));
      const [m1, m2, loner] = await members.bulkCreate([
        Member.create({ name: 'M1', organizationId: org.entityId }),
        Member.create({ name: 'M2', organizationId: org.entityId }),
        Member.create({ name: 'Loner', organizationId: null }),
      ]);
      const methods = await logins.bulkCreate([
        LoginMethod.create({ kind: 'password', memberId: (m1 as Member).entityId }),
        LoginMethod.create({ kind: 'sso', memberId: (m1 as Member).entityId }),
        LoginMethod.create({ kind: 'password', memberId: (loner as Member).entityId }),
      ]);
      type WithMember = LoginMethod & {
        member: Member & { organization: Organization | null };
      };
      const found = await logins.getMany<WithMember>({
        where: { entityId: { in: methods.map((m) => m.entityId) } },
        fetchRelated: ['member', 'member.organization'],
      });
      expect(found).toHaveLength(3);
      for (const l of found) {
        expect(l.member.entityId).toBe(l.memberId);
        expect(l.member.organization?.name ?? null).toBe(
          l.member.organizationId === null ? null : 'Acme',
        );
      }
      const one = await logins.get<WithMember>((methods[2] as LoginMethod).entityId, {
        fetchRelated: ['member', 'member.organization'],
      });
      expect(one.member.name).toBe('Loner');
      expect(one.member.organization).toBeNull();

      const withMembers = await orgs.get<{ members: (Member & { loginMethods: LoginMethod[] })[] }>(
        org.entityId,
        { fetchRelated: ['members', 'members.loginMethods'] },
      );
      expect(
        withMembers.members
          .map((m) => [m.name, m.loginMethods.map((l) => l.kind).sort()])
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
      ).toEqual([
        ['M1', ['password', 'sso']],
        ['M2', []],
      ]);
      expect((m2 as Member).organizationId).toBe(org.entityId);
    });

    storeCase('many-to-many: relate, fetch from both sides, unrelate', async () => {
      const investors = repo(Investor);
      const investments = repo(Investment);
      const [ann, bob] = await investors.bulkCreate([
        Investor.create({ name: 'Ann' }),
        Investor.create({ name: 'Bob' }),
      ]);
      const [fund, bond] = await investments.bulkCreate([
        Investment.create({ code: 2 ** 40, title: 'Fund' }),
        Investment.create({ code: 7, title: 'Bond' }),
      ]);
      await investors.relate('investments', ann!, fund!);
      await investors.relate('investments', ann!, bond!);
      await investors.relate('investments', ann!, bond!); // idempotent
      await investments.relate('investors', fund!, bob!);

      const byInvestor = await investors.getMany<{ investments: { title: string }[] }>({
        fetchRelated: ['investments'],
      });
      expect(
        byInvestor
          .map((i) => [i.name, i.investments.map((x) => x.title).sort()])
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
      ).toEqual([
        ['Ann', ['Bond', 'Fund']],
        ['Bob', ['Fund']],
      ]);
      const fundWith = await investments.get<{
        investors: { name: string; investments: { title: string }[] }[];
      }>(fund!.code, { fetchRelated: ['investors', 'investors.investments'] });
      expect(fundWith.investors.map((i) => i.name).sort()).toEqual(['Ann', 'Bob']);
      const annThere = fundWith.investors.find((i) => i.name === 'Ann');
      expect(annThere?.investments.map((x) => x.title).sort()).toEqual(['Bond', 'Fund']);

      expect(await investors.unrelate('investments', ann!, fund!)).toBe(true);
      expect(await investors.unrelate('investments', ann!, fund!)).toBe(false);
      const after = await investments.get<{ investors: { name: string }[] }>(fund!.code, {
        fetchRelated: ['investors'],
      });
      expect(after.investors.map((i) => i.name)).toEqual(['Bob']);

      // Saving an entity with relations loaded does not store them as extra fields.
      const loaded = await investors.get<{ investments: unknown[] }>(ann!.entityId, {
        fetchRelated: ['investments'],
      });
      await investors.save({ ...loaded, colour: 'green' });
      const plain = await investors.get(ann!.entityId);
      expect(plain.colour).toBe('green');
      expect(plain).not.toHaveProperty('investments');
    });

    storeCase(
      'refuses unknown relation paths and relations used wrongly (UsageError)',
      async () => {
        const members = repo(Member);
        // Relation names are server code's: a wrong one is a UsageError, not a client's 422.
        await expect(members.getMany({ fetchRelated: ['organisation'] })).rejects.toThrow(
          UsageError,
        );
        await expect(members.getMany({ fetchRelated: ['organisation'] })).rejects.toMatchObject({
          code: 'UNKNOWN_RELATION',
        });
        await expect(members.getMany({ fetchRelated: ['organization.nope'] })).rejects.toThrow(
          /"nope" is not a relation of organization/,
        );
        await expect(
          store.repository(Member).getMany({ fetchRelated: ['organization'] }),
        ).rejects.toMatchObject({ code: 'NO_SCHEMA_REGISTRY', message: /no schema registry/ });
        await expect(members.relate('organization', {} as Member, {})).rejects.toMatchObject({
          name: 'UsageError',
          code: 'UNKNOWN_RELATION',
          message: /not a many-to-many/,
        });
      },
    );

    // ——— constraints the store enforces ———

    storeCase(
      'a duplicate unique field is an AlreadyExistsError naming the field; nothing written',
      async () => {
        const companies = repo(Company);
        await companies.save(Company.create({ name: 'A', vat: 'GB1' }));
        const error = await failure(companies.save(Company.create({ name: 'B', vat: 'GB1' })));
        expect(error).toBeInstanceOf(AlreadyExistsError);
        expect(error.message).toBe('A company with this vat already exists');
        expect(error.code).toBe('DUPLICATE_VALUE');
        expect(error.details).toEqual([
          { path: 'vat', message: 'already taken', resource: 'company' },
        ]);
        expect(await companies.count({ vat: 'GB1' })).toBe(1);
        const bulk = await failure(
          companies.bulkCreate([
            Company.create({ name: 'C', vat: 'GB2' }),
            Company.create({ name: 'D', vat: 'GB1' }),
          ]),
        );
        expect(bulk.message).toBe('A company with this vat already exists');
        expect(await companies.count({ vat: 'GB2' })).toBe(0);
      },
      'unique-constraints',
    );

    storeCase(
      'a duplicate composite unique value names both fields; a deleted entity frees its values',
      async () => {
        const employees = repo(Employee);
        const co = randomUUID();
        const hire = (email: string, badge: number) =>
          Employee.create({ email, companyId: co, badge });
        const first = await employees.save(hire('a@example.com', 7));
        const error = await failure(employees.save(hire('b@example.com', 7)));
        expect(error).toBeInstanceOf(AlreadyExistsError);
        expect(error.message).toBe('An employee with this companyId and badge already exists');
        expect(await employees.count({ email: 'b@example.com' })).toBe(0);
        const sameEmail = await failure(employees.save(hire('a@example.com', 8)));
        expect(sameEmail.message).toBe('An employee with this email already exists');
        // An update that would take another's value is refused too, and writes no version.
        const second = await employees.save(hire('c@example.com', 9));
        const clash = await failure(employees.save({ ...second, email: 'a@example.com' }));
        expect(clash).toBeInstanceOf(AlreadyExistsError);
        expect(await employees.history(second.entityId)).toHaveLength(1);
        // Unique among live versions: once deleted, the values are free again.
        await employees.delete(first);
        await employees.save(hire('a@example.com', 7));
      },
      'unique-constraints',
    );

    storeCase(
      'with softDelete, values are unique among entities not deleted',
      async () => {
        const handles = repo(Handle);
        const first = await handles.save(Handle.create({ name: 'ada' }));
        const twin = await failure(handles.save(Handle.create({ name: 'ada' })));
        expect(twin.message).toBe('A handle with this name already exists');
        await handles.delete(first);
        await handles.save(Handle.create({ name: 'ada' }));
        expect(await handles.count({ name: 'ada' }, { includeDeleted: true })).toBe(2);
      },
      'unique-constraints',
    );

    storeCase(
      'a key naming no entity is a RelatedResourceNotFoundError naming the relation',
      async () => {
        const members = repo(Member);
        const missing = randomUUID();
        const m = Member.create({ name: 'Orphan', organizationId: missing });
        const error = await failure(members.save(m));
        expect(error).toBeInstanceOf(RelatedResourceNotFoundError);
        expect(error.code).toBe('RELATED_ENTITY_NOT_FOUND');
        expect(error.message).toBe(
          'member.organization: no organization has the organizationId given',
        );
        expect(error.message).not.toContain(missing);
        expect(await members.getOrNone(m.entityId)).toBeUndefined();
        // A null key names nothing and is allowed; an opted-out relation checks nothing.
        await members.save(Member.create({ name: 'Free', organizationId: null }));
        await repo(Memo).save(Memo.create({ text: 'loose', organizationId: missing }));
      },
      'foreign-keys',
    );

    storeCase(
      'a hard delete of an entity still named is a ConflictError; a model may name itself',
      async () => {
        const orgs = repo(Organization);
        const members = repo(Member);
        const org = await orgs.save(Organization.create({ name: 'Held' }));
        await members.save(Member.create({ name: 'Holder', organizationId: org.entityId }));
        const error = await failure(orgs.hardDelete(org.entityId));
        expect(error).toBeInstanceOf(ConflictError);
        expect(error.code).toBe('ENTITY_REFERENCED');
        expect(error.message).toBe(
          'organization is still the organization of a member: it cannot be removed',
        );
        expect(await orgs.contains(org.entityId)).toBe(true);
        // A model naming itself: a save is told from a delete.
        const mentor = await members.save(Member.create({ name: 'Mentor', organizationId: null }));
        const mentee = Member.create({
          name: 'Mentee',
          organizationId: null,
          mentorId: randomUUID(),
        });
        expect((await failure(members.save(mentee))).message).toBe(
          'member.mentor: no member has the mentorId given',
        );
        await members.save({ ...mentee, mentorId: mentor.entityId });
        const held = await failure(members.hardDelete(mentor.entityId));
        expect(held.code).toBe('ENTITY_REFERENCED');
        expect(held.message).toBe('member is still the mentor of a member: it cannot be removed');
        expect(await members.history(mentor.entityId)).toHaveLength(1);
      },
      'foreign-keys',
    );

    storeCase(
      'a failed check is a ValidationError naming it; nothing written',
      async () => {
        const adults = repo(Adult);
        const young = Adult.create({ age: 12 });
        const check = await failure(adults.save(young));
        expect(check).toBeInstanceOf(ValidationError);
        expect(check.code).toBe('CHECK_FAILED');
        expect(check.message).toBe('adult breaks the rule adult');
        expect(await adults.getOrNone(young.entityId)).toBeUndefined();
        const grown = await adults.save(Adult.create({ age: 18 }));
        await expect(adults.save({ ...grown, age: 17 })).rejects.toMatchObject({
          code: 'CHECK_FAILED',
        });
        expect(await adults.history(grown.entityId)).toHaveLength(1);
      },
      'checks',
    );
  });
}
