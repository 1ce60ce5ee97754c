// What the repository does in SQL: tables and columns as the raw SQL sees them, statements of
// any size, names and values that must never become SQL. The behaviour every store shares is
// the conformance suite's (repository-conformance.ts).
import { UsageError, ValidationError } from 'libretto';
import { model, type Repository, repository, SchemaRegistry, tableDdl } from 'libretto/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Opened } from '../postgres/backends.js';
import { type DataBackend, dataBackends } from './data-backends.js';
import { Entry, Level, Note, Person, Profile, Tag } from './repository-conformance.js';

const Item = model(
  'op_item',
  { name: z.string(), n: z.int32(), note: z.string().nullable() },
  { table: 'op_items' },
);

const schema = new SchemaRegistry([Person, Tag, Item, Note, Profile, Entry]);

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

describe.each(list.map((b) => [b.name, b] as const))('repository SQL on %s', (_name, backend) => {
  let opened: Opened;
  let people: Repository<'person', typeof Person.fields, typeof Person.options>;
  const raw = RAW[backend.engine];
  beforeAll(async () => {
    opened = await backend.open();
    await schema.ensureSchema(opened.db);
    people = repository(Person, opened.db);
  });
  afterAll(() => opened?.close());

  it('moves each replaced version to a row of the audit table', async () => {
    let p: Person = await people.save(ada());
    for (let i = 1; i < 5; i++) p = await people.save({ ...p, age: 30 + i });
    // A count is a BIGINT on MySQL: a string, as pg gives bigints.
    const audit = Number(await opened.db.fetchVal(raw.auditCount, [p.entityId]));
    expect(audit).toBe(4);
  });

  it('stores rows in the table the `table` option names', async () => {
    const items = repository(Item, opened.db);
    await items.bulkCreate([
      Item.create({ name: 'Alpha', n: 1, note: null }),
      Item.create({ name: 'alphabet', n: 2, note: 'x' }),
      Item.create({ name: 'Beta', n: 3, note: 'y' }),
      Item.create({ name: 'gamma_ray', n: 4, note: null }),
    ]);
    expect(Number(await opened.db.fetchVal(raw.itemCount))).toBe(4);
  });

  it('a versioned model without audit has no audit table; unknown options are refused', async () => {
    const tables = await opened.db.fetch(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'plain_note_audit'",
    );
    expect(tables).toEqual([]);
    expect(() => repository(Note, opened.db, { readFromReplica: true } as never)).toThrow(
      /readFromReplica unknown/,
    );
  });

  it('saveComputed stores a computed value in a column of its own', async () => {
    const profiles = repository(Profile, opened.db);
    const p = await profiles.save(
      Profile.create({
        handle: "o'brien; --",
        level: Level.Senior,
        score: 1,
        balance: 1n,
        ratio: 1,
        settings: {},
        tags: [],
        home: { city: 'Oslo', since: new Date(0) },
        previous: [],
      }),
    );
    expect(await opened.db.fetchVal(raw.label, [p.entityId])).toBe(`@o'brien; --`);
  });

  it('gives .transform() and .pipe() fields the column type of what they parse to', async () => {
    const [table] = tableDdl(Entry);
    expect(table).toContain('"title" text NOT NULL');
    expect(table).toContain('"count" integer NOT NULL');
    expect(table).toContain('"at" timestamptz NOT NULL');
    expect(table).toContain('"tags" jsonb NOT NULL');
    const e = await repository(Entry, opened.db).save(
      Entry.create({ title: 'x', count: '42', at: '2026-01-02T03:04:05.678Z', tags: 'a,b' }),
    );
    expect(await opened.db.fetchVal(raw.countType, [e.entityId])).toBe(
      backend.engine === 'mysql' ? 'int' : 'integer',
    );
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
});
