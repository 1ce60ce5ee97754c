import { ConflictError, NotFoundError, UsageError, ValidationError } from 'libretto';
import { model, type Repository, repository, SchemaRegistry, tableDdl } from 'libretto/data';
import { transactional } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Opened } from '../postgres/backends.js';
import { type DataBackend, dataBackends } from './data-backends.js';

const Person = model(
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
type Person = model.Infer<typeof Person>;

const Tag = model('tag', { label: z.string(), weight: z.number() });

const Membership = model(
  'membership',
  { orgCode: z.string(), personId: z.uuid(), role: z.enum(['owner', 'member']) },
  { primaryKey: ['orgCode', 'personId'], softDelete: true },
);

enum Level {
  Junior = 1,
  Senior = 2,
}
const Address = model('address', { city: z.string(), since: z.date() }, { embedded: true });
const Profile = model(
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

const schema = new SchemaRegistry([Person, Tag, Membership, Profile]);

const ada = () =>
  Person.create({
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.com',
    nickname: null,
  });

/** The raw SQL of this file's checks, as each engine spells it. */
const RAW = {
  postgres: {
    auditCount: 'SELECT count(*)::int FROM person_audit WHERE entity_id = $1',
    itemCount: 'SELECT count(*)::int FROM op_items',
    label: 'SELECT label FROM profile WHERE entity_id = $1',
    countType: 'SELECT pg_typeof("count")::text FROM entry WHERE entity_id = $1',
    fingerprint:
      "SELECT count(*)::text || ':' || coalesce(md5(string_agg(entity_id::text || version::text, ',' ORDER BY entity_id)), '') FROM person",
  },
  mysql: {
    auditCount: 'SELECT COUNT(*) FROM person_audit WHERE entity_id = ?',
    itemCount: 'SELECT COUNT(*) FROM op_items',
    label: 'SELECT label FROM profile WHERE entity_id = ?',
    countType:
      "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'entry' AND COLUMN_NAME = 'count' AND ? IS NOT NULL",
    fingerprint:
      "SELECT CONCAT(COUNT(*), ':', COALESCE(MD5(GROUP_CONCAT(CONCAT(entity_id, version) ORDER BY entity_id SEPARATOR ',')), '')) FROM person",
  },
} as const;

const list: DataBackend[] = await dataBackends();
afterAll(async () => {
  for (const b of list) await b.close();
});

describe.each(list.map((b) => [b.name, b] as const))('repository on %s', (_name, backend) => {
  let opened: Opened;
  let people: Repository<'person', typeof Person.fields, typeof Person.options>;
  const raw = RAW[backend.engine];
  beforeAll(async () => {
    opened = await backend.open();
    await schema.ensureSchema(opened.db);
    people = repository(Person, opened.db);
  });
  afterAll(() => opened?.close());

  it('saves a new entity and reads it back exactly', async () => {
    const saved = await people.save(ada(), { changedById: 'admin' });
    const read = await people.get(saved.entityId);
    expect(read).toEqual(saved);
    expect(read.changedById).toBe('admin');
    expect(read.previousVersion).toBeNull();
    expect('age' in read).toBe(false);
    expect(await people.getOrNone(crypto.randomUUID())).toBeUndefined();
    await expect(people.get(crypto.randomUUID())).rejects.toThrow(NotFoundError);
    await expect(people.get(crypto.randomUUID())).rejects.toMatchObject({
      code: 'ENTITY_NOT_FOUND',
    });
    expect(await people.contains(saved.entityId)).toBe(true);
  });

  it('versions each save, keeps the replaced ones in the audit table, refuses stale saves', async () => {
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
    // A count is a BIGINT on MySQL: a string, as pg gives bigints.
    const audit = Number(await opened.db.fetchVal(raw.auditCount, [p.entityId]));
    expect(audit).toBe(4);

    const stale = history[2] as Person;
    await expect(people.save({ ...stale, firstName: 'Stale' })).rejects.toThrow(ConflictError);
    expect((await people.get(p.entityId)).firstName).toBe('Ada');
  });

  it('saves a created entity, a copy of one, and the same object again', async () => {
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

  it('saveAll, getOne, deleteAll: all or nothing', async () => {
    const [x, y] = await people.saveAll([
      { ...ada(), lastName: 'Many1' },
      { ...ada(), lastName: 'Many2' },
    ]);
    expect(await people.getOne({ lastName: 'Many2' })).toEqual(y);
    expect(await people.getOne({ lastName: 'Nobody' })).toBeUndefined();
    // One stale entity in the batch: none of the deletes happens.
    await expect(
      people.deleteAll([x as Person, { ...(y as Person), version: crypto.randomUUID() }]),
    ).rejects.toThrow(ConflictError);
    expect(await people.count({ lastName: { in: ['Many1', 'Many2'] } })).toBe(2);
    await people.deleteAll([x as Person, y as Person]);
    expect(await people.count({ lastName: { in: ['Many1', 'Many2'] } })).toBe(0);
    expect(
      await people.count({ lastName: { in: ['Many1', 'Many2'] } }, { includeDeleted: true }),
    ).toBe(2);
  });

  it('soft-deletes a versioned entity as a new version; its history stays', async () => {
    const p = await people.save(ada());
    const gone = await people.delete(p);
    expect(gone?.active).toBe(false);
    await expect(people.get(p.entityId)).rejects.toThrow(NotFoundError);
    expect((await people.get(p.entityId, { includeDeleted: true })).active).toBe(false);
    expect((await people.history(p.entityId)).map((h) => h.active)).toEqual([true, false]);
  });

  it('searches with filters, sort and pages', async () => {
    const tags = repository(Tag, opened.db);
    await tags.bulkCreate(
      Array.from({ length: 30 }, (_, i) =>
        Tag.create({ label: `tag_${String(i).padStart(2, '0')}%`, weight: i }),
      ),
    );
    const page = await tags.search({
      where: { weight: { gte: 10, lt: 20 } },
      sort: ['-weight'],
      page: 2,
      pageSize: 4,
    });
    expect(page.total).toBe(10);
    expect(page.items.map((t) => t.weight)).toEqual([15, 14, 13, 12]);
    expect((await tags.search({ where: { label: { endsWith: '5%' } } })).total).toBe(3);
    // `_` is literal: as a wildcard it would also match tag_10 and tag_20 (12).
    expect((await tags.search({ where: { label: { like: '_0' } } })).total).toBe(10);
    expect((await tags.search({ page: 99 })).total).toBe(30);
    expect(await tags.count({ label: { in: [] } })).toBe(0);
  });

  it('every filter operation', async () => {
    const Item = model(
      'op_item',
      { name: z.string(), n: z.int32(), note: z.string().nullable() },
      { table: 'op_items' },
    );
    await new SchemaRegistry([Item]).ensureSchema(opened.db);
    const items = repository(Item, opened.db);
    await items.bulkCreate([
      Item.create({ name: 'Alpha', n: 1, note: null }),
      Item.create({ name: 'alphabet', n: 2, note: 'x' }),
      Item.create({ name: 'Beta', n: 3, note: 'y' }),
      Item.create({ name: 'gamma_ray', n: 4, note: null }),
    ]);
    const names = async (where: object) =>
      (await items.getMany({ where: where as never, sort: ['n'] })).map((i) => i.name);
    expect(await names({ n: 2 })).toEqual(['alphabet']);
    expect(await names({ n: { eq: 2 } })).toEqual(['alphabet']);
    expect(await names({ n: { ne: 2 } })).toEqual(['Alpha', 'Beta', 'gamma_ray']);
    expect(await names({ n: { lt: 2 } })).toEqual(['Alpha']);
    expect(await names({ n: { lte: 2 } })).toEqual(['Alpha', 'alphabet']);
    expect(await names({ n: { gt: 3 } })).toEqual(['gamma_ray']);
    expect(await names({ n: { gte: 3 } })).toEqual(['Beta', 'gamma_ray']);
    expect(await names({ n: { in: [1, 4] } })).toEqual(['Alpha', 'gamma_ray']);
    expect(await names({ n: { notIn: [1, 4] } })).toEqual(['alphabet', 'Beta']);
    expect(await names({ name: { like: 'lpha' } })).toEqual(['Alpha', 'alphabet']);
    expect(await names({ name: { like: 'ALPHA' } })).toEqual([]);
    expect(await names({ name: { ilike: 'ALPHA' } })).toEqual(['Alpha', 'alphabet']);
    expect(await names({ name: { startsWith: 'alpha' } })).toEqual(['alphabet']);
    expect(await names({ name: { endsWith: '_ray' } })).toEqual(['gamma_ray']);
    expect(await names({ name: { contains: 'BET' } })).toEqual(['alphabet', 'Beta']);
    expect(await names({ note: { isNull: true } })).toEqual(['Alpha', 'gamma_ray']);
    expect(await names({ note: null })).toEqual(['Alpha', 'gamma_ray']);
    expect(await names({ note: { isNotNull: true } })).toEqual(['alphabet', 'Beta']);
    expect(await names({ n: { gte: 2, lt: 4 }, name: { ilike: 'a' } })).toEqual([
      'alphabet',
      'Beta',
    ]);
    expect(Number(await opened.db.fetchVal(raw.itemCount))).toBe(4);
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

  it('a versioned model without audit keeps no history', async () => {
    const Note = model('plain_note', { text: z.string() }, { versioned: true, audit: false });
    await new SchemaRegistry([Note]).ensureSchema(opened.db);
    const notes = repository(Note, opened.db);
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
    const tables = await opened.db.fetch(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'plain_note_audit'",
    );
    expect(tables).toEqual([]);
    expect(() => repository(Note, opened.db, { readFromReplica: true } as never)).toThrow(
      /readFromReplica unknown/,
    );
  });

  it('composite keys and soft delete of an unversioned model', async () => {
    const members = repository(Membership, opened.db);
    const personId = crypto.randomUUID();
    const m = await members.save(Membership.create({ orgCode: 'acme', personId, role: 'owner' }));
    expect(await members.get({ orgCode: 'acme', personId })).toEqual(m);
    await members.save({ ...m, role: 'member' });
    expect((await members.get({ orgCode: 'acme', personId })).role).toBe('member');
    // Deleting through an older copy sets the mark only: the stored role stays.
    const deleted = await members.delete(m);
    expect(deleted?.role).toBe('member');
    await expect(members.delete(m)).rejects.toThrow(NotFoundError);
    expect(await members.getOrNone({ orgCode: 'acme', personId })).toBeUndefined();
    expect(
      (await members.getOrNone({ orgCode: 'acme', personId }, { includeDeleted: true }))?.deletedAt,
    ).toBeInstanceOf(Date);
  });

  it('joins the ambient transaction', async () => {
    const p = ada();
    await expect(
      transactional(
        async () => {
          await people.save(p);
          throw new Error('rolled back');
        },
        { database: opened.db },
      ),
    ).rejects.toThrow('rolled back');
    expect(await people.getOrNone(p.entityId)).toBeUndefined();
  });

  it('stores every kind of field and reads it back exactly (nested, enums, bigint, extra)', async () => {
    const profiles = repository(Profile, opened.db);
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
    expect(await opened.db.fetchVal(raw.label, [p.entityId])).toBe(`@o'brien; --`);
    const [bulk] = await profiles.bulkCreate([{ ...p, entityId: crypto.randomUUID() }]);
    expect(await profiles.get((bulk as typeof p).entityId)).toEqual(bulk);
  });

  it('stores .transform() and .pipe() fields as what they parse to, and reads them back exactly', async () => {
    const Entry = model(
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
    const [table] = tableDdl(Entry);
    expect(table).toContain('"title" text NOT NULL');
    expect(table).toContain('"count" integer NOT NULL');
    expect(table).toContain('"at" timestamptz NOT NULL');
    expect(table).toContain('"tags" jsonb NOT NULL');
    await new SchemaRegistry([Entry]).ensureSchema(opened.db);
    const entries = repository(Entry, opened.db);
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
    expect(await opened.db.fetchVal(raw.countType, [e.entityId])).toBe(
      backend.engine === 'mysql' ? 'int' : 'integer',
    );
  });

  it('50 concurrent saves from one stale read: exactly one wins, the rest conflict', async () => {
    const p = await people.save(ada());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => people.save({ ...p, lastName: `Writer ${i}` })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(lost.every((o) => (o as PromiseRejectedResult).reason instanceof ConflictError)).toBe(
      true,
    );
    const stored = await people.get(p.entityId);
    expect(stored).toEqual((won[0] as PromiseFulfilledResult<Person>).value);
  });

  it('50 writers re-reading after each conflict: every change kept, a gap-free chain', async () => {
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
  });

  it('bulk-creates 10,000 rows in one statement', async () => {
    const tags = repository(Tag, opened.db);
    const before = await tags.count();
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      Tag.create({ label: `bulk ${i}`, weight: i }),
    );
    await tags.bulkCreate(rows);
    expect(await tags.count()).toBe(before + 10_000);
    expect(await tags.get(rows[9_999]!.entityId)).toEqual(rows[9_999]);
    await expect(tags.bulkCreate([rows[0]!])).rejects.toThrow(/already exists|duplicate/i);
  });

  it('hostile field names, sort keys and values: UsageError, ValidationError or the right rows, never SQL', async () => {
    const hostile = [
      "lastName'; DROP TABLE person; --",
      'last_name',
      '"lastName"',
      '__proto__',
      'constructor',
      'ｌastName',
      'lastName--',
      'lastName /* x */',
      '',
    ];
    const fingerprint = () => opened.db.fetchVal<string>(raw.fingerprint);
    const before = await fingerprint();
    for (const field of hostile) {
      for (const options of [
        { where: JSON.parse(`{${JSON.stringify(field)}: "x"}`) },
        { sort: [field] },
        { sort: [`-${field}`] },
        { sort: [{ field, order: 'desc' }] },
        { where: { lastName: JSON.parse(`{${JSON.stringify(field)}: "x"}`) } },
      ]) {
        // Names in server code: a programming mistake, never a client's 422.
        await expect(people.search(options as never)).rejects.toThrow(UsageError);
      }
    }
    await expect(
      people.search({ sort: [{ field: 'lastName', order: 'desc; DROP TABLE person' as 'desc' }] }),
    ).rejects.toMatchObject({ name: 'UsageError', code: 'UNKNOWN_SORT_KEY' });
    const nul = { ...ada(), lastName: 'nul \u0000 inside' };
    if (backend.engine === 'postgres') {
      await expect(people.save(nul)).rejects.toThrow(ValidationError);
    } else {
      // MySQL stores text with a NUL character as it is (PostgreSQL refuses it).
      expect((await people.get((await people.save(nul)).entityId)).lastName).toBe(nul.lastName);
      await people.hardDelete(nul.entityId);
    }
    const odd = await people.save({
      ...ada(),
      lastName: "O'Hara; DROP TABLE person; -- 50% _off_ \\ 𝕏",
    });
    for (const value of [odd.lastName, "'", ';', '--', '%', '_', '\\', '𝕏', "' OR '1'='1"]) {
      const eq = await people.search({ where: { lastName: value } });
      expect(eq.items.every((p) => p.lastName === value)).toBe(true);
      const like = await people.search({ where: { lastName: { contains: value } } });
      expect(like.items.every((p) => p.lastName.toLowerCase().includes(value.toLowerCase()))).toBe(
        true,
      );
    }
    expect((await people.search({ where: { lastName: { contains: '50% _off_' } } })).total).toBe(1);
    expect((await people.search({ where: { lastName: { like: '50_ _off_' } } })).total).toBe(0);
    await people.hardDelete(odd.entityId);
    expect(await fingerprint()).toBe(before);
  });

  it('prepareForSave then save; a stale copy of a hard-deleted entity is refused', async () => {
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
    await expect(people.save({ ...gone, lastName: 'Back' })).rejects.toMatchObject({
      name: 'ConflictError',
      code: 'ENTITY_DELETED',
      message: /deleted since/,
    });
    expect(await people.getOrNone(p.entityId, { includeDeleted: true })).toBeUndefined();
  });

  it('pages neither repeat nor skip rows with equal sort keys', async () => {
    const Row = model('same_row', { group: z.string() });
    await new SchemaRegistry([Row]).ensureSchema(opened.db);
    const rows = repository(Row, opened.db);
    await rows.bulkCreate(Array.from({ length: 25 }, () => Row.create({ group: 'g' })));
    const seen: string[] = [];
    for (let page = 1; page <= 5; page++) {
      const { items } = await rows.search({ sort: ['group'], page, pageSize: 5 });
      seen.push(...items.map((r) => r.entityId));
    }
    expect(new Set(seen).size).toBe(25);
    const offsets = [0, 10, 20].map((offset) =>
      rows.getMany({ sort: ['group'], limit: 10, offset }),
    );
    expect(new Set((await Promise.all(offsets)).flat().map((r) => r.entityId)).size).toBe(25);
  });

  it('refuses what would silently match wrong rows, and malformed calls', async () => {
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
    const Profiles = repository(Profile, opened.db);
    const p = await Profiles.save({
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
      (await Profiles.getMany({ where: { settings: { eq: { isNull: true } } } })).map(
        (x) => x.entityId,
      ),
    ).toContain(p.entityId);
    await expect(Profiles.getMany({ where: { settings: { isNull: true } } })).resolves.toEqual([]);
  });

  it('keys of any type: timestamps and integers', async () => {
    const Reading = model(
      'reading',
      { sensor: z.int(), at: z.date(), value: z.number() },
      { primaryKey: ['sensor', 'at'] },
    );
    await new SchemaRegistry([Reading]).ensureSchema(opened.db);
    const readings = repository(Reading, opened.db);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const r = await readings.save(Reading.create({ sensor: 2 ** 40, at, value: 1.5 }));
    expect(await readings.get({ sensor: 2 ** 40, at })).toEqual(r);
    expect(await readings.range([{ sensor: 2 ** 40, at }])).toEqual([r]);
    expect(await readings.contains({ sensor: 2 ** 40, at: new Date(0) })).toBe(false);
    expect(() => model('x', { a: z.string() }, { primaryKey: [] })).toThrow(/at least one/);
    expect(() => model('x', { a: z.string() }, { versioned: true, softDelete: true })).toThrow(
      /inactive version/,
    );
  });

  it('refuses bad ids (ValidationError) and unknown fields (UsageError)', async () => {
    await expect(people.get('not-a-uuid')).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_KEY',
      details: [{ path: 'id', message: 'expected a UUID' }],
    });
    await expect(
      people.getMany({ where: { 'last_name; DROP TABLE person': 'x' } as never }),
    ).rejects.toMatchObject({ name: 'UsageError', code: 'UNKNOWN_FIELD' });
    await expect(people.getMany({ sort: ['nope'] as never })).rejects.toMatchObject({
      name: 'UsageError',
      code: 'UNKNOWN_SORT_KEY',
    });
  });
});
