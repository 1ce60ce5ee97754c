// What writing a statement costs, per call, against running one written once: the price a
// repository would pay if a query builder produced its statements on every call (as
// Kysely's builders do: a tree of nodes per call, then a compiler walking it). No database:
// CPU only, on the `person` model of bench/data.
//   npx tsx bench/data/statement-cost.ts      (N calls per figure, default 200,000)
import { model, type Predicate, postgresDialect, type ReadQuery } from 'libretto/data';
import { z } from 'zod';

const N = Number(process.env.N ?? 200_000);

const Person = model(
  'person',
  { firstName: z.string(), lastName: z.string(), email: z.string(), age: z.int32().nullable() },
  { versioned: true },
);
const lastName = Person.column('lastName');
const entityId = Person.column('entityId');
if (lastName === undefined || entityId === undefined) throw new Error('no such column');

function cpuPerCall(name: string, f: () => unknown): number {
  for (let i = 0; i < 10_000; i++) f(); // warm-up
  const t0 = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < N; i++) sink += (f() as string).length;
  const used = process.cpuUsage(t0);
  const us = (used.user + used.system) / N;
  console.log(`${name.padEnd(58)} ${us.toFixed(3).padStart(7)} µs/call  (${sink % 10})`);
  return us;
}

const prepared = postgresDialect.selectByKey(Person, true);
cpuPerCall('get: statement written once (what the repository does)', () => prepared.text);
cpuPerCall('get: statement written per call', () => postgresDialect.selectByKey(Person, true).text);
cpuPerCall('versioned save: written per call', () => postgresDialect.versionedUpdate(Person).text);
cpuPerCall('search page: written per call (as the repository does)', () => {
  const where: Predicate[] = [
    { op: 'like', column: lastName, match: 'contains', caseless: true, text: 'ing' },
  ];
  const query: ReadQuery = {
    where,
    live: true,
    order: [
      { column: lastName, descending: false },
      { column: entityId, descending: false },
    ],
    limit: 50,
    offset: 100,
  };
  return (postgresDialect.selectPage as NonNullable<typeof postgresDialect.selectPage>)(
    Person,
    query,
    [],
  );
});
