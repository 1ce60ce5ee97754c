// MySQL/MariaDB data-layer benchmark: a versioned `person` model (Big 6 + 4 fields, audit
// table), 10,000 rows, in a database of its own on the MariaDB at 127.0.0.1:3306. Side by
// side, in one run:
//   libretto repository (libretto/mysql)  ·  hand-written SQL over bare mysql2 (server-side
//   prepared statements with `execute`: the ceiling)  ·  Drizzle ORM on mysql2
// for get by id, a versioned save with its audit row, and a search page of 50 with the total.
//   npm run bench:mysql      BENCH_SECONDS (4 per contender and round), BENCH_ROUNDS (5),
//                            BENCH_MYSQL_DSN (mysql://root@127.0.0.1:3306)
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { and, count, sql as dsql, eq, like } from 'drizzle-orm';
import { boolean, char, datetime, int, mysqlTable, primaryKey, text } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import { model, repository, SchemaRegistry } from 'libretto/data';
import { MysqlPool } from 'libretto/mysql';
import { Database } from 'libretto/postgres';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import {
  drive,
  type Result,
  type RoundContender,
  resultHeader,
  resultLine,
  rounds,
} from '../rounds.js';

const version = (pkg: string) =>
  (
    JSON.parse(
      readFileSync(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url), 'utf8'),
    ) as { version: string }
  ).version;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SERVER = process.env.BENCH_MYSQL_DSN ?? 'mysql://root@127.0.0.1:3306';
const DATABASE = `libretto_bench_${randomUUID().slice(0, 8)}`;
const DSN = `${SERVER}/${DATABASE}`;
const ROWS = 10_000;
const CALLERS = 8;
const POOL = 8;
const LAST_NAMES = ['Lovelace', 'Babbage', 'Hopper', 'Turing', 'Hamilton', 'Noether'];

// ——— the same tables, three ways ———

const Person = model(
  'person',
  { firstName: z.string(), lastName: z.string(), email: z.string(), age: z.int32().nullable() },
  { versioned: true },
);
type Person = model.Infer<typeof Person>;

const personColumns = {
  entityId: char('entity_id', { length: 36 }).notNull(),
  version: char('version', { length: 36 }).notNull(),
  previousVersion: char('previous_version', { length: 36 }),
  changedOn: datetime('changed_on', { mode: 'date', fsp: 6 }).notNull(),
  changedById: char('changed_by_id', { length: 36 }),
  active: boolean('active').notNull(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  email: text('email').notNull(),
  age: int('age'),
};
const person = mysqlTable('person', personColumns, (t) => [primaryKey({ columns: [t.entityId] })]);
const personAudit = mysqlTable('person_audit', personColumns, (t) => [
  primaryKey({ columns: [t.entityId, t.version] }),
]);

const SELECT_PERSON =
  'SELECT `entity_id` AS `entityId`, `version`, `previous_version` AS `previousVersion`, `changed_on` AS `changedOn`, `changed_by_id` AS `changedById`, `active`, `first_name` AS `firstName`, `last_name` AS `lastName`, `email`, `age` FROM `person`';
const COLUMNS =
  '`entity_id`, `version`, `previous_version`, `changed_on`, `changed_by_id`, `active`, `first_name`, `last_name`, `email`, `age`';

// ——— a database of its own, seeded through Libretto ———

const admin = await mysql.createConnection({ uri: SERVER });
await admin.query(`CREATE DATABASE \`${DATABASE}\``);
const setupDb = new Database(await MysqlPool.create({ connectionString: DSN, maxSize: 2 }));
await new SchemaRegistry([Person]).ensureSchema(setupDb);
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
await setupDb.execute('ANALYZE TABLE `person`');
await setupDb.close();
const ids = seeded.map((p) => p.entityId);

let next = 0;
const anyId = () => {
  next = (next * 7919 + 1) % ROWS;
  return ids[next] as string;
};

const ormOf = (pool: mysql.Pool) => drizzle({ client: pool });
type Maker = (pools: { libretto: Database; pool: mysql.Pool; orm: ReturnType<typeof ormOf> }) => {
  op: () => Promise<unknown>;
};

/** Each contender gets pools of its own, opened once. */
function contender(name: string, make: Maker): RoundContender {
  return {
    name,
    open: async () => {
      const libretto = new Database(
        await MysqlPool.create({ connectionString: DSN, maxSize: POOL }),
      );
      // What a careful hand sets up: UTC, the same as Libretto's sessions.
      const pool = mysql.createPool({ uri: DSN, connectionLimit: POOL, timezone: 'Z' });
      const { op } = make({ libretto, pool, orm: ormOf(pool) });
      return {
        run: () => drive(op, CALLERS, SECONDS),
        close: async () => {
          await libretto.close();
          await pool.end();
        },
      };
    },
  };
}

/** Entities being saved: a picker skips them, so no two callers ever save the same one. */
const busy = new Set<string>();
const latest = new Map<string, Person>(seeded.map((p) => [p.entityId, p]));

/** Saves rotate over a slice of a thousand entities per contender; the latest version kept. */
function savesOf(slice: number) {
  let turn = 0;
  const pick = () => {
    for (;;) {
      const id = ids[slice * 1000 + (turn++ % 1000)] as string;
      if (!busy.has(id)) {
        busy.add(id);
        return id;
      }
    }
  };
  return async (save: (p: Person) => Promise<Person>) => {
    const p = latest.get(pick()) as Person;
    try {
      latest.set(p.entityId, await save(p));
    } finally {
      busy.delete(p.entityId);
    }
  };
}

const nextAge = (p: Person) => ((p.age ?? 0) + 1) % 100;

async function section(title: string, contenders: RoundContender[]): Promise<void> {
  const rows = await rounds(contenders, ROUNDS);
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
  const [server] = (await admin.query('SELECT VERSION() AS v')) as unknown as [{ v: string }[]];
  console.log(
    `MySQL bench on ${server[0]?.v}: mysql2 ${version('mysql2')}, drizzle-orm ${version('drizzle-orm')}, ${CALLERS} callers over pools of ${POOL}`,
  );
  await section('get by id', [
    contender('libretto repository.get', ({ libretto }) => {
      const people = repository(Person, libretto);
      return { op: () => people.get(anyId()) };
    }),
    contender('hand-written SQL, mysql2 execute', ({ pool }) => ({
      op: async () => {
        const [rows] = await pool.execute<RowDataPacket[]>(
          `${SELECT_PERSON} WHERE \`entity_id\` = ? AND \`active\``,
          [anyId()],
        );
        if (rows[0] === undefined) throw new Error('not found');
        return { ...rows[0], active: rows[0].active === 1 };
      },
    })),
    contender('drizzle (prepared)', ({ orm }) => {
      const query = orm
        .select()
        .from(person)
        .where(and(eq(person.entityId, dsql.placeholder('id')), eq(person.active, true)))
        .prepare();
      return { op: async () => (await query.execute({ id: anyId() }))[0] };
    }),
  ]);

  await section('versioned save (+ audit row)', [
    contender('libretto repository.save', ({ libretto }) => {
      const people = repository(Person, libretto);
      const saving = savesOf(0);
      return { op: () => saving((p) => people.save({ ...p, age: nextAge(p) })) };
    }),
    contender('hand-written SQL, mysql2 execute', ({ pool }) => {
      const saving = savesOf(1);
      // The same steps a careful hand takes on MySQL (no writing CTE): copy the row read to
      // the audit table, locking it; update it if it still holds the version read.
      return {
        op: () =>
          saving(async (p) => {
            const version = randomUUID();
            const changedOn = new Date();
            const c = await pool.getConnection();
            try {
              await c.query('START TRANSACTION');
              await c.execute(
                `INSERT INTO \`person_audit\` (${COLUMNS}) SELECT ${COLUMNS} FROM \`person\` WHERE \`entity_id\` = ? AND \`version\` = ? FOR UPDATE`,
                [p.entityId, p.version],
              );
              const [result] = await c.execute<mysql.ResultSetHeader>(
                'UPDATE `person` SET `version` = ?, `previous_version` = ?, `changed_on` = ?, `changed_by_id` = ?, `active` = ?, `first_name` = ?, `last_name` = ?, `email` = ?, `age` = ? WHERE `entity_id` = ? AND `version` = ?',
                [
                  version,
                  p.version,
                  changedOn,
                  null,
                  true,
                  p.firstName,
                  p.lastName,
                  p.email,
                  nextAge(p),
                  p.entityId,
                  p.version,
                ],
              );
              if (result.affectedRows !== 1) throw new Error('conflict');
              await c.query('COMMIT');
            } catch (error) {
              await c.query('ROLLBACK');
              throw error;
            } finally {
              c.release();
            }
            return { ...p, previousVersion: p.version, version, changedOn, age: nextAge(p) };
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
                  age: nextAge(p),
                })
                .where(and(eq(person.entityId, p.entityId), eq(person.version, p.version)));
            });
            return { ...p, previousVersion: p.version, version, changedOn, age: nextAge(p) };
          }),
      };
    }),
  ]);

  await section('search: page 3 of 50, case-insensitive contains, sorted, with total', [
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
    contender('hand-written SQL, mysql2 execute', ({ pool }) => {
      // What a careful hand writes on MariaDB: the page and its count side by side (a window
      // count materializes every match, twice as slow here).
      const where = 'WHERE LOWER(`last_name`) LIKE ? AND `active`';
      const page = `${SELECT_PERSON} ${where} ORDER BY \`last_name\`, \`entity_id\` LIMIT 50 OFFSET 100`;
      const total = `SELECT COUNT(*) AS n FROM \`person\` ${where}`;
      return {
        op: async () => {
          const [[rows], [counted]] = await Promise.all([
            pool.execute<RowDataPacket[]>(page, ['%ing%']),
            pool.execute<RowDataPacket[]>(total, ['%ing%']),
          ]);
          return { items: rows, total: Number(counted[0]?.n ?? 0) };
        },
      };
    }),
    contender('drizzle (prepared, items + count)', ({ orm }) => {
      const where = and(
        like(dsql`LOWER(${person.lastName})`, dsql.placeholder('q')),
        eq(person.active, true),
      );
      const items = orm
        .select()
        .from(person)
        .where(where)
        .orderBy(person.lastName, person.entityId)
        .limit(50)
        .offset(100)
        .prepare();
      const total = orm.select({ n: count() }).from(person).where(where).prepare();
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
} finally {
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.end();
}
