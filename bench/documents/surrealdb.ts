// SurrealDB repository benchmark, on the embedded engine (mem://): a versioned `person` model
// (Big 6 + 4 fields, audit table), 2,000 records. Side by side in one run:
//   libretto repository (libretto/surrealdb)  ·  the same SurrealQL written by hand over the
//   bare SDK (the ceiling: the work Libretto does, with none of its checks or conversions)
// for get by id and a versioned save with its audit record. Each row: ops/s, p99, CPU µs/op,
// and the ratio to the bare SDK (goal ≥ 0.90).
//   BENCH_SECONDS (3 per contender and round), BENCH_ROUNDS (3)
import { randomUUID } from 'node:crypto';
import { model, SchemaRegistry } from 'libretto/data';
import { SurrealDatabase, surrealRepository } from 'libretto/surrealdb';
import { type DateTime, RecordId } from 'surrealdb';
import { z } from 'zod';
import {
  drive,
  type Result,
  type RoundContender,
  resultHeader,
  resultLine,
  rounds,
} from '../rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = 2_000;
const CALLERS = 8;

const Person = model(
  'person',
  { firstName: z.string(), lastName: z.string(), email: z.string(), age: z.int32().nullable() },
  { versioned: true },
);
type Person = model.Infer<typeof Person>;

interface Stored {
  id: RecordId;
  version: string;
  previous_version: string | null;
  changed_on: DateTime;
  changed_by_id: string | null;
  active: boolean;
  first_name: string;
  last_name: string;
  email: string;
  age: number | null;
}

const GET = 'SELECT * FROM $id WHERE active = true';
const SAVE =
  '{ LET $b = (UPDATE ONLY $id CONTENT $doc WHERE version = $read RETURN BEFORE); ' +
  "IF $b { CREATE type::record('person_audit', $b.version) SET entity_id = $key, version = $b.version, " +
  'previous_version = $b.previous_version, changed_on = $b.changed_on, changed_by_id = $b.changed_by_id, ' +
  'active = $b.active, first_name = $b.first_name, last_name = $b.last_name, email = $b.email, age = $b.age RETURN NONE; }; ' +
  'RETURN { written: IF $b { true } ELSE { false } }; }';

/** A stored person as the hand-written code reads it: the same fields, dates as Date. */
function fromStored(s: Stored, entityId: string): Person {
  return {
    entityId,
    version: s.version,
    previousVersion: s.previous_version,
    changedOn: s.changed_on.toDate(),
    changedById: s.changed_by_id,
    active: s.active,
    firstName: s.first_name,
    lastName: s.last_name,
    email: s.email,
    age: s.age,
  };
}

export async function benchSurreal(): Promise<void> {
  const db = await SurrealDatabase.connect({
    endpoint: 'mem://',
    namespace: 'bench',
    database: 'bench',
  });
  await db.prepare(new SchemaRegistry([Person]));
  const people = surrealRepository(Person, db);
  const seeded = await people.bulkCreate(
    Array.from({ length: ROWS }, (_, i) =>
      Person.create({
        firstName: `First${i}`,
        lastName: 'Lovelace',
        email: `p${i}@example.com`,
        age: i % 90,
      }),
    ),
  );
  const ids = seeded.map((p) => p.entityId);
  const pick = () => ids[Math.floor(Math.random() * ids.length)] as string;
  const sdk = db.client;

  /** Each call saves an entity no other call is saving (no conflicts: the save path only). */
  const saver = (offset: number, save: (p: Person) => Promise<Person>) => {
    const free: Person[] = seeded.slice(offset, offset + CALLERS);
    return async () => {
      const current = free.pop() as Person;
      const saved = await save({ ...current, age: ((current.age ?? 0) + 1) % 90 });
      free.push(saved);
    };
  };

  const contender = (name: string, op: () => () => Promise<unknown>): RoundContender => ({
    name,
    async open() {
      const run = op();
      return { run: (): Promise<Result> => drive(run, CALLERS, SECONDS), close: async () => {} };
    },
  });

  const getLibretto = contender('get by id · libretto', () => () => people.get(pick()));
  const getBare = contender('get by id · bare SDK', () => async () => {
    const id = pick();
    const [[row]] = await sdk.query<[Stored[]]>(GET, { id: new RecordId('person', id) });
    if (row === undefined) throw new Error('not found');
    return fromStored(row, id);
  });
  const saveLibretto = contender('versioned save · libretto', () =>
    saver(0, (p) => people.save(p)),
  );
  const saveBare = contender('versioned save · bare SDK', () =>
    saver(CALLERS, async (p) => {
      const next = {
        ...p,
        previousVersion: p.version,
        version: randomUUID(),
        changedOn: new Date(),
        changedById: null,
      };
      const [result] = await sdk.query<[{ written: boolean }]>(SAVE, {
        id: new RecordId('person', p.entityId),
        key: p.entityId,
        read: p.version,
        doc: {
          version: next.version,
          previous_version: next.previousVersion,
          changed_on: next.changedOn,
          changed_by_id: null,
          active: true,
          first_name: next.firstName,
          last_name: next.lastName,
          email: next.email,
          age: next.age,
        },
      });
      if (!result.written) throw new Error('stale');
      return next;
    }),
  );

  console.log(
    `SurrealDB (embedded mem://), ${ROWS} records, ${CALLERS} callers, ${ROUNDS} rounds × ${SECONDS}s`,
  );
  console.log(resultHeader('libretto / bare'));
  for (const [a, b] of [
    [getLibretto, getBare],
    [saveLibretto, saveBare],
  ] as const) {
    const results = new Map(await rounds([a, b], ROUNDS));
    const lib = results.get(a.name) as Result;
    const bare = results.get(b.name) as Result;
    console.log(resultLine(a.name, lib, (lib.ops / bare.ops).toFixed(2)));
    console.log(resultLine(b.name, bare, '1.00'));
  }
  await db.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSurreal();
