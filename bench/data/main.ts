// Data-layer benchmark: a versioned `person` model (Big 6 + 4 fields, audit table), 10,000
// rows, on one throwaway server from libretto/testing. Side by side, in one run:
//   libretto repository  ·  hand-written SQL over bare pg (named statements: the ceiling)
//   ·  Drizzle ORM 0.45 on node-postgres (prepared statements where it has them)
// for get by id, a versioned save with its audit row, and a search page of 50 with the total;
// then a bulk create of 10,000 rows against one multi-row INSERT; then what a unique email
// and a foreign key cost a save (update and insert), against the same model without them.
//   npm run bench:data       BENCH_SECONDS (4 per contender and round), BENCH_ROUNDS (5)
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { and, count, sql as dsql, eq, ilike } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import {
  boolean,
  doublePrecision,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { belongsTo, model, repository, SchemaRegistry } from 'libretto/data';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres } from 'libretto/testing';
import pg from 'pg';
import { z } from 'zod';
import {
  drive,
  type Result,
  type RoundContender,
  resultHeader,
  resultLine,
  rounds,
} from '../rounds.js';

const drizzleVersion = (
  JSON.parse(
    readFileSync(new URL('../../node_modules/drizzle-orm/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = 10_000;
const CALLERS = 8;
const POOL = 8;
const LAST_NAMES = [
  'Lovelace',
  'Babbage',
  'Hopper',
  'Turing',
  'Hamilton',
  'Noether',
  'Franklin',
  'Curie',
];

// ——— the same tables, three ways ———

const Person = model(
  'person',
  { firstName: z.string(), lastName: z.string(), email: z.string(), age: z.int32().nullable() },
  { versioned: true },
);
type Person = model.Infer<typeof Person>;
const Tag = model('tag', { label: z.string(), weight: z.number() });
// The same person with a unique email and a foreign key to an organization.
const Org = model('org', { name: z.string() }, { versioned: true });
const memberFields = {
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  age: z.int32().nullable(),
  orgId: z.uuid(),
};
const Member = model('member', memberFields, { versioned: true, unique: ['email'] });
type Member = model.Infer<typeof Member>;
const memberSchema = new SchemaRegistry([Org, Member], {
  relations: [belongsTo(Member, 'org', Org, 'orgId')],
});
// The same columns with neither: once as a belongsTo without its foreign key (the relation's
// index only), once with no relation at all.
const Indexed = model('indexed', memberFields, { versioned: true });
const Plain = model('plain', memberFields, { versioned: true });
const indexedSchema = new SchemaRegistry([Org, Indexed], {
  relations: [belongsTo(Indexed, 'org', Org, 'orgId', { references: false })],
});

const personColumns = {
  entityId: uuid('entity_id').notNull(),
  version: uuid('version').notNull(),
  previousVersion: uuid('previous_version'),
  changedOn: timestamp('changed_on', { withTimezone: true }).notNull(),
  changedById: text('changed_by_id'),
  active: boolean('active').notNull(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  email: text('email').notNull(),
  age: integer('age'),
};
const person = pgTable('person', personColumns, (t) => [primaryKey({ columns: [t.entityId] })]);
const personAudit = pgTable('person_audit', personColumns, (t) => [
  primaryKey({ columns: [t.entityId, t.version] }),
]);
const tag = pgTable('tag', {
  entityId: uuid('entity_id').primaryKey(),
  label: text('label').notNull(),
  weight: doublePrecision('weight').notNull(),
});

const SELECT_PERSON = `SELECT "entity_id" AS "entityId", "version", "previous_version" AS "previousVersion", "changed_on" AS "changedOn", "changed_by_id" AS "changedById", "active", "first_name" AS "firstName", "last_name" AS "lastName", "email", "age" FROM person`;
const COLUMNS =
  'entity_id, version, previous_version, changed_on, changed_by_id, active, first_name, last_name, email, age';
// The versioned save a careful hand would write: one statement, row locked, audit copy.
const SAVE_BY_HAND = `WITH cur AS (SELECT * FROM person WHERE entity_id = $1 FOR UPDATE),
  moved AS (INSERT INTO person_audit (${COLUMNS}) SELECT ${COLUMNS} FROM cur WHERE version = $2)
  UPDATE person p SET version = $3, previous_version = $2, changed_on = $4, changed_by_id = $5,
    first_name = $6, last_name = $7, email = $8, age = $9
  FROM cur WHERE p.entity_id = cur.entity_id AND cur.version = $2 RETURNING p.version`;

const server = await startPostgres();
const dsn = server.dsn;

const setupDriver = await PgPool.create({ connectionString: dsn, maxSize: 2 });
const setupDb = new Database(setupDriver);
await new SchemaRegistry([Person, Tag]).ensureSchema(setupDb);
const seeded = await repository(Person, setupDb).bulkCreate(
  Array.from({ length: ROWS }, (_, i) =>
    Person.create({
      firstName: `First${i}`,
      lastName: `${LAST_NAMES[i % LAST_NAMES.length]}${i % 97}`,
      email: `p${i}@example.com`,
      age: i % 90,
    }),
  ),
);
await memberSchema.ensureSchema(setupDb);
await indexedSchema.ensureSchema(setupDb);
await new SchemaRegistry([Plain]).ensureSchema(setupDb);
const orgs = await repository(Org, setupDb).bulkCreate(
  Array.from({ length: 100 }, (_, i) => Org.create({ name: `Org${i}` })),
);
const memberOf = (i: number) => ({
  firstName: `First${i}`,
  lastName: `${LAST_NAMES[i % LAST_NAMES.length]}${i % 97}`,
  email: `m${i}@example.com`,
  age: i % 90,
  orgId: (orgs[i % orgs.length] as { entityId: string }).entityId,
});
const members = await repository(Member, setupDb).bulkCreate(
  Array.from({ length: 2000 }, (_, i) => Member.create(memberOf(i))),
);
const indexed = await repository(Indexed, setupDb).bulkCreate(
  Array.from({ length: 2000 }, (_, i) => Indexed.create(memberOf(i))),
);
const plains = await repository(Plain, setupDb).bulkCreate(
  Array.from({ length: 2000 }, (_, i) => Plain.create(memberOf(i))),
);
await setupDb.execute('ANALYZE person');
await setupDb.execute('ANALYZE member');
await setupDb.execute('ANALYZE indexed');
await setupDb.execute('ANALYZE plain');
await setupDriver.close();
const ids = seeded.map((p) => p.entityId);

let next = 0;
const anyId = () => {
  next = (next * 7919 + 1) % ROWS;
  return ids[next] as string;
};

interface Setup {
  op: () => Promise<unknown>;
}
type Maker = (pools: {
  libretto: Database;
  pool: pg.Pool;
  orm: ReturnType<typeof drizzle>;
}) => Setup;

/** Each contender gets pools of its own, opened once. */
function contender(name: string, make: Maker, callers = CALLERS): RoundContender {
  return {
    name,
    open: async () => {
      const driver = await PgPool.create({ connectionString: dsn, maxSize: POOL });
      const pool = new pg.Pool({ connectionString: dsn, max: POOL });
      const { op } = make({ libretto: new Database(driver), pool, orm: drizzle(pool) });
      return {
        run: () => drive(op, callers, SECONDS),
        close: async () => {
          await driver.close();
          await pool.end();
        },
      };
    },
  };
}

/** Entities being saved: a picker skips them, so no two callers ever save the same one. */
const busy = new Set<string>();

/** Saves rotate over a slice of entities per contender, skipping any being saved. */
function owned(slice: number): () => string {
  let turn = 0;
  return () => {
    for (;;) {
      const id = ids[slice * 1000 + (turn++ % 1000)] as string;
      if (!busy.has(id)) {
        busy.add(id);
        return id;
      }
    }
  };
}

const results: { title: string; rows: [string, Result][] }[] = [];

async function section(title: string, contenders: RoundContender[]): Promise<void> {
  const rows = await rounds(contenders, ROUNDS);
  results.push({ title, rows });
  const lib = rows[0]?.[1] as Result;
  console.log(`\n${title} — ${ROUNDS} rounds of ${SECONDS} s, median; Node ${process.version}`);
  console.log(resultHeader('libretto vs it'));
  for (const [name, r] of rows) {
    const ratio =
      r === lib
        ? '—'
        : `${((100 * lib.ops) / r.ops).toFixed(0)}% (${(lib.ops / r.ops).toFixed(2)}×)`;
    console.log(resultLine(name, r, ratio));
  }
}

try {
  await section('get by id', [
    contender('libretto repository.get', ({ libretto }) => {
      const people = repository(Person, libretto);
      return { op: () => people.get(anyId()) };
    }),
    contender('hand-written SQL, pg named', ({ pool }) => ({
      op: async () => {
        const { rows } = await pool.query({
          name: 'get_person',
          text: `${SELECT_PERSON} WHERE entity_id = $1 AND active`,
          values: [anyId()],
        });
        if (rows[0] === undefined) throw new Error('not found');
        return rows[0];
      },
    })),
    contender('drizzle (prepared)', ({ orm }) => {
      const query = orm
        .select()
        .from(person)
        .where(and(eq(person.entityId, dsql.placeholder('id')), eq(person.active, true)))
        .prepare('drizzle_get_person');
      return { op: async () => (await query.execute({ id: anyId() }))[0] };
    }),
  ]);

  // Each contender saves its own thousand entities, one caller per entity at a time.
  const latest = new Map<string, Person>(seeded.map((p) => [p.entityId, p]));
  const savesOf = (slice: number) => {
    const pick = owned(slice);
    // Saves the picked entity's latest version with `save`, then frees it.
    return async (save: (p: Person) => Promise<Person>) => {
      const p = latest.get(pick()) as Person;
      try {
        latest.set(p.entityId, await save(p));
      } finally {
        busy.delete(p.entityId);
      }
    };
  };
  await section('versioned save (+ audit row)', [
    contender('libretto repository.save', ({ libretto }) => {
      const people = repository(Person, libretto);
      const saving = savesOf(0);
      return {
        op: () => saving((p) => people.save({ ...p, age: ((p.age ?? 0) + 1) % 100 })),
      };
    }),
    contender('hand-written SQL, pg named', ({ pool }) => {
      const saving = savesOf(1);
      return {
        op: () =>
          saving(async (p) => {
            const version = randomUUID();
            const changedOn = new Date();
            const { rowCount } = await pool.query({
              name: 'save_person',
              text: SAVE_BY_HAND,
              values: [
                p.entityId,
                p.version,
                version,
                changedOn,
                null,
                p.firstName,
                p.lastName,
                p.email,
                ((p.age ?? 0) + 1) % 100,
              ],
            });
            if (rowCount !== 1) throw new Error('conflict');
            return {
              ...p,
              previousVersion: p.version,
              version,
              changedOn,
              age: ((p.age ?? 0) + 1) % 100,
            };
          }),
      };
    }),
    contender('drizzle (transaction)', ({ orm }) => {
      const saving = savesOf(2);
      return {
        op: () =>
          saving(async (p) => {
            const version = randomUUID();
            const changedOn = new Date();
            await orm.transaction(async (tx) => {
              const [current] = await tx
                .select()
                .from(person)
                .where(eq(person.entityId, p.entityId))
                .for('update');
              if (current === undefined || current.version !== p.version)
                throw new Error('conflict');
              await tx.insert(personAudit).values(current);
              await tx
                .update(person)
                .set({
                  version,
                  previousVersion: p.version,
                  changedOn,
                  changedById: null,
                  age: ((p.age ?? 0) + 1) % 100,
                })
                .where(and(eq(person.entityId, p.entityId), eq(person.version, p.version)));
            });
            return {
              ...p,
              previousVersion: p.version,
              version,
              changedOn,
              age: ((p.age ?? 0) + 1) % 100,
            };
          }),
      };
    }),
  ]);

  await section('search: page 3 of 50, ILIKE, sorted, with total', [
    contender('libretto repository.search', ({ libretto }) => {
      const people = repository(Person, libretto);
      return {
        op: () =>
          people.search({
            where: { lastName: { ilike: 'ing' } },
            sort: ['lastName', 'entityId'],
            page: 3,
            pageSize: 50,
          }),
      };
    }),
    contender('hand-written SQL, pg named', ({ pool }) => ({
      op: async () => {
        const { rows } = await pool.query({
          name: 'search_person',
          text: `${SELECT_PERSON.replace(' FROM person', ', count(*) OVER () AS total FROM person')} WHERE last_name ILIKE $1 AND active ORDER BY last_name, entity_id LIMIT 50 OFFSET 100`,
          values: ['%ing%'],
        });
        return { items: rows, total: Number(rows[0]?.total ?? 0) };
      },
    })),
    contender('drizzle (prepared, items + count)', ({ orm }) => {
      const where = and(ilike(person.lastName, dsql.placeholder('q')), eq(person.active, true));
      const items = orm
        .select()
        .from(person)
        .where(where)
        .orderBy(person.lastName, person.entityId)
        .limit(50)
        .offset(100)
        .prepare('drizzle_search');
      const total = orm.select({ n: count() }).from(person).where(where).prepare('drizzle_count');
      return {
        op: async () => {
          const [page, [n]] = await Promise.all([
            items.execute({ q: '%ing%' }),
            total.execute({ q: '%ing%' }),
          ]);
          return { items: page, total: n?.n };
        },
      };
    }),
  ]);

  const tags = (n: number) =>
    Array.from({ length: n }, (_, i) => Tag.create({ label: `t${i}`, weight: i }));
  await section(`bulk create of ${ROWS.toLocaleString('en-US')} rows (ops = batches/s)`, [
    contender(
      'libretto repository.bulkCreate',
      ({ libretto }) => {
        const repo = repository(Tag, libretto);
        return { op: () => repo.bulkCreate(tags(ROWS)) };
      },
      1,
    ),
    contender(
      'hand-written multi-row INSERT, pg',
      ({ pool }) => ({
        op: () => {
          const rows = tags(ROWS);
          const values: unknown[] = [];
          const tuples = rows.map((t) => {
            values.push(t.entityId, t.label, t.weight);
            return `($${values.length - 2}, $${values.length - 1}, $${values.length})`;
          });
          return pool.query(
            `INSERT INTO tag (entity_id, label, weight) VALUES ${tuples.join(', ')}`,
            values,
          );
        },
      }),
      1,
    ),
    contender(
      'drizzle insert().values([...])',
      ({ orm }) => ({ op: () => orm.insert(tag).values(tags(ROWS)) }),
      1,
    ),
  ]);
  // Updates rotate over 2,000 entities of each model, one caller per entity at a time;
  // inserts create new ones with fresh emails (the unique index and the key both checked).
  const rotating = <E extends { entityId: string }>(seed: readonly E[]) => {
    const current = new Map(seed.map((e) => [e.entityId, e]));
    const order = seed.map((e) => e.entityId);
    let turn = 0;
    const held = new Set<string>();
    return async (save: (e: E) => Promise<E>) => {
      let id = order[turn++ % order.length] as string;
      while (held.has(id)) id = order[turn++ % order.length] as string;
      held.add(id);
      try {
        current.set(id, await save(current.get(id) as E));
      } finally {
        held.delete(id);
      }
    };
  };
  await section('save with a unique email and a foreign key: update (age changes)', [
    contender('libretto save, unique + foreign key', ({ libretto }) => {
      const repo = repository(Member, libretto, { schema: memberSchema });
      const saving = rotating<Member>(members);
      return { op: () => saving((m) => repo.save({ ...m, age: ((m.age ?? 0) + 1) % 100 })) };
    }),
    contender('libretto save, relation index only', ({ libretto }) => {
      const repo = repository(Indexed, libretto, { schema: indexedSchema });
      const saving = rotating<model.Infer<typeof Indexed>>(indexed);
      return { op: () => saving((m) => repo.save({ ...m, age: ((m.age ?? 0) + 1) % 100 })) };
    }),
    contender('libretto save, no constraints', ({ libretto }) => {
      const repo = repository(Plain, libretto);
      const saving = rotating<model.Infer<typeof Plain>>(plains);
      return { op: () => saving((m) => repo.save({ ...m, age: ((m.age ?? 0) + 1) % 100 })) };
    }),
  ]);
  let fresh = 10_000;
  await section('save with a unique email and a foreign key: insert', [
    contender('libretto save, unique + foreign key', ({ libretto }) => {
      const repo = repository(Member, libretto, { schema: memberSchema });
      return { op: () => repo.save(Member.create(memberOf(fresh++))) };
    }),
    contender('libretto save, relation index only', ({ libretto }) => {
      const repo = repository(Indexed, libretto, { schema: indexedSchema });
      return { op: () => repo.save(Indexed.create(memberOf(fresh++))) };
    }),
    contender('libretto save, no constraints', ({ libretto }) => {
      const repo = repository(Plain, libretto);
      return { op: () => repo.save(Plain.create(memberOf(fresh++))) };
    }),
  ]);
  console.log(
    `\nServer: PostgreSQL from libretto/testing (fsync=off); drizzle-orm ${drizzleVersion}`,
  );
} finally {
  await server.stop();
}
