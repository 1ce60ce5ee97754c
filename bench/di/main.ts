// DI benchmark: Libretto's container side by side with awilix and inversify, same run.
//   npm run bench:di
import { compare } from '../report.js';
import {
  awilixClassicGraph,
  awilixGraph,
  Handler,
  inversifyChild,
  inversifyParent,
  largeGraph,
  librettoGraph,
} from './graphs.js';

const BATCH = 100;

const libretto = librettoGraph();
const awilix = awilixGraph();
const awilixClassic = awilixClassicGraph();
const inversifyRoot = inversifyParent();

// Sanity: every contender builds the same graph shape. (inversify's `inRequestScope` is not
// used: it does not share an instance across `toDynamicValue` factories, so its child
// container is the unit-of-work equivalent.)
{
  const scope = libretto.createScope();
  const h = await scope.get(Handler);
  if (h.service.users.ctx !== h.ctx || h.orders.ctx !== h.ctx) throw new Error('libretto graph');
  await scope.close();
  if (!h.ctx.closed) throw new Error('libretto finalizer did not run');
  const a = awilix.createScope();
  const ah = a.resolve('handler');
  if (ah.service.users.ctx !== ah.ctx) throw new Error('awilix graph');
  await a.dispose();
  if (!ah.ctx.closed) throw new Error('awilix disposer did not run');
  const ac = awilixClassic.createScope();
  const ach = ac.resolve<Handler>('handler');
  if (ach.service.users.ctx !== ach.ctx) throw new Error('awilix classic graph');
  await ac.dispose();
  const child = inversifyChild(inversifyRoot);
  const ih = child.get(Handler);
  if (ih.service.users.ctx !== ih.ctx || ih.orders.ctx !== ih.ctx)
    throw new Error('inversify graph');
}

const scopes = await compare(
  `Request scope: open, resolve 5 request-scoped over 3 app-scoped, dispose (batches of ${BATCH})`,
  [
    {
      name: 'libretto',
      run: async () => {
        for (let i = 0; i < BATCH; i++) {
          const scope = libretto.createScope();
          await scope.get(Handler);
          await scope.close();
        }
      },
    },
    {
      name: 'awilix createScope (PROXY)',
      run: async () => {
        for (let i = 0; i < BATCH; i++) {
          const scope = awilix.createScope();
          scope.resolve('handler');
          await scope.dispose();
        }
      },
    },
    {
      name: 'awilix createScope (CLASSIC)',
      run: async () => {
        for (let i = 0; i < BATCH; i++) {
          const scope = awilixClassic.createScope();
          scope.resolve('handler');
          await scope.dispose();
        }
      },
    },
    {
      name: 'inversify child container',
      run: async () => {
        for (let i = 0; i < BATCH; i++) {
          const child = inversifyChild(inversifyRoot);
          await child.getAsync(Handler);
          await child.unbindAllAsync();
        }
      },
    },
  ],
  { batch: BATCH },
);

const N = 500;
const large = largeGraph(N);
const top = large.tokens[N - 1] as (typeof large.tokens)[number];
const topId = large.ids[N - 1] as symbol;
const build = await compare(
  `Build a container of ${N} providers (Libretto validates the whole graph here; the others do not validate)`,
  [
    { name: 'libretto build+validate', run: () => large.libretto() },
    { name: 'awilix register', run: () => large.awilix() },
    { name: 'inversify bind', run: () => large.inversify() },
  ],
  { batch: 1 },
);
const first = await compare(
  `Build ${N} providers and resolve the top one (every provider created once)`,
  [
    { name: 'libretto', run: () => large.libretto().get(top) },
    { name: 'awilix', run: () => large.awilix().resolve(`t${N - 1}`) },
    { name: 'inversify', run: () => large.inversify().get(topId) },
  ],
  { batch: 1 },
);

const best = (m: Map<string, number>) =>
  Math.max(...[...m].filter(([k]) => !k.startsWith('libretto')).map(([, v]) => v));
const lib = (m: Map<string, number>) => [...m].find(([k]) => k.startsWith('libretto'))?.[1] ?? 0;
console.log('\nSummary (libretto ops/s ÷ fastest other):');
console.log(`  request scope:         ${(lib(scopes) / best(scopes)).toFixed(2)}×`);
console.log(`  build 500:             ${(lib(build) / best(build)).toFixed(2)}×`);
console.log(`  build 500 + resolve:   ${(lib(first) / best(first)).toFixed(2)}×`);
console.log(`  (${process.version}, ${process.platform}/${process.arch})`);
