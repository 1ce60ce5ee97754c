// What a DynamoDB user meets beyond the shared suite: how reads run (query or scan), what is
// refused and why, paging by cursor, transactions of the store, concurrency, bad input.
import { randomUUID } from 'node:crypto';
import { ConflictError, UsageError, ValidationError } from 'libretto';
import { model, SchemaRegistry } from 'libretto/data';
import { type DynamoStore, TRANSACTION_LIMIT } from 'libretto/dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DynaliteServer, startDynalite } from './dynalite-server.js';
import { openDynamo } from './dynamo-backend.js';

const Order = model(
  'order',
  {
    customer: z.string(),
    placedAt: z.date(),
    total: z.int32(),
    status: z.enum(['open', 'paid']),
    note: z.string().nullable(),
  },
  { versioned: true, indexes: [['customer', 'placedAt'], 'status'] },
);
const Counter = model('counter', { name: z.string(), n: z.int32() });
const Unique = model('unique_thing', { code: z.string() }, { unique: ['code'] });

let server: DynaliteServer;
let store: DynamoStore;
const orders = () => store.repository(Order);

const order = (customer: string, day: number, total: number, status: 'open' | 'paid' = 'open') =>
  Order.create({
    customer,
    placedAt: new Date(Date.UTC(2024, 0, day)),
    total,
    status,
    note: null,
  });

beforeAll(async () => {
  server = await startDynalite();
  store = await openDynamo(server);
  await store.prepare(new SchemaRegistry([Order, Counter]));
  await orders().bulkCreate([
    order('ann', 3, 30),
    order('ann', 1, 10, 'paid'),
    order('ann', 2, 20),
    order('bob', 1, 5),
    order('bob', 9, 90, 'paid'),
  ]);
});
afterAll(async () => {
  store?.close();
  await server?.close();
});

describe('query or scan', () => {
  it('equality on an index hash key is a Query, its range key sorts it either way', async () => {
    const repo = orders();
    const plan = (where: object, sort?: unknown) =>
      // The plan is what page() and getMany run; read it through a page's behaviour:
      repo.getMany({
        where: where as never,
        ...(sort === undefined ? {} : { sort: sort as never }),
      });
    expect((await plan({ customer: 'ann' }, 'placedAt')).map((o) => o.total)).toEqual([10, 20, 30]);
    expect((await plan({ customer: 'ann' }, '-placedAt')).map((o) => o.total)).toEqual([
      30, 20, 10,
    ]);
    // A range condition on the index's range key goes into the key condition.
    const since = new Date(Date.UTC(2024, 0, 2));
    expect(
      (await plan({ customer: 'ann', placedAt: { gte: since } }, 'placedAt')).map((o) => o.total),
    ).toEqual([20, 30]);
    // Another condition filters the query's items.
    expect((await plan({ customer: 'ann', status: 'paid' })).map((o) => o.total)).toEqual([10]);
  });

  it('a sort no index gives is refused (UNSUPPORTED_QUERY), on a scan and on a query', async () => {
    await expect(orders().getMany({ sort: 'total' })).rejects.toMatchObject({
      name: 'UsageError',
      code: 'UNSUPPORTED_QUERY',
      details: [{ path: 'sort' }],
    });
    await expect(
      orders().getMany({ where: { customer: 'ann' }, sort: 'total' }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_QUERY', message: /cannot sort by total/ });
  });

  it('conditions with no key equality are a Scan with a filter', async () => {
    const found = await orders().getMany({ where: { total: { gt: 15, lt: 95 }, note: null } });
    expect(found.map((o) => o.total).sort((a, b) => a - b)).toEqual([20, 30, 90]);
    expect(await orders().count({ status: { ne: 'paid' } })).toBe(3);
    expect(await orders().count({ customer: { notIn: ['ann'] } })).toBe(2);
  });
});

describe('refusals', () => {
  it('refuses caseless text, offsets and pages after the first, naming the option', async () => {
    await expect(orders().getMany({ where: { customer: { ilike: 'ANN' } } })).rejects.toMatchObject(
      {
        name: 'UsageError',
        code: 'UNSUPPORTED_QUERY',
        details: [{ path: 'where.customer.ilike' }],
      },
    );
    await expect(
      orders().getMany({ where: { customer: { contains: 'n' } } }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_QUERY',
      details: [{ path: 'where.customer.contains' }],
    });
    await expect(orders().getMany({ offset: 2 })).rejects.toMatchObject({
      code: 'UNSUPPORTED_QUERY',
      details: [{ path: 'offset' }],
    });
    await expect(orders().search({ page: 2 })).rejects.toMatchObject({
      code: 'UNSUPPORTED_QUERY',
      details: [{ path: 'page' }],
    });
    // Offset 0 is no offset.
    expect(await orders().getMany({ offset: 0, limit: 1 })).toHaveLength(1);
  });

  it('refuses a model asking for what DynamoDB does not enforce, unless accepted', async () => {
    const other = await openDynamo(server);
    try {
      await expect(other.prepare(new SchemaRegistry([Unique]))).rejects.toMatchObject({
        name: 'UsageError',
        code: 'DYNAMODB_UNSUPPORTED_MODEL',
        message: /unique fields.*unenforced: \['unique'\]/,
      });
      await other.prepare(new SchemaRegistry([Unique]), { unenforced: ['unique'] });
      const things = other.repository(Unique);
      await things.save(Unique.create({ code: 'x' }));
      // Not enforced, as accepted: a second entity with the same code is stored.
      await things.save(Unique.create({ code: 'x' }));
      expect(await things.count({ code: 'x' })).toBe(2);
    } finally {
      other.close();
    }
  });

  it('refuses keys DynamoDB cannot hold', async () => {
    const Flagged = model('flagged', { on: z.boolean(), name: z.string() }, { primaryKey: ['on'] });
    expect(() => store.repository(Flagged)).toThrow(
      expect.objectContaining({
        code: 'DYNAMODB_UNSUPPORTED_MODEL',
        message: expect.stringMatching(/flagged.on is boolean/),
      }),
    );
    const Wide = model(
      'wide',
      { a: z.string(), b: z.string(), c: z.string() },
      { primaryKey: ['a', 'b', 'c'] },
    );
    expect(() => store.repository(Wide)).toThrow(/at most two/);
  });

  it('a table never prepared is named in a typed error', async () => {
    const Missing = model('never_prepared', { x: z.string() });
    await expect(store.repository(Missing).get(randomUUID())).rejects.toMatchObject({
      name: 'DependencyFailureError',
      code: 'DYNAMODB_TABLE_MISSING',
      message: expect.stringMatching(
        /never_prepared does not exist at DynamoDB at http:\/\/127\.0\.0\.1/,
      ),
    });
  });
});

describe('paging by cursor', () => {
  it('reads every match once, page by page, with a total only when asked', async () => {
    const counters = store.repository(Counter);
    await counters.bulkCreate(
      Array.from({ length: 25 }, (_, i) => Counter.create({ name: `c${i}`, n: i })),
    );
    const seen: number[] = [];
    let page = await counters.page({ where: { n: { gte: 3 } }, pageSize: 7, total: true });
    expect(page.total).toBe(22);
    seen.push(...page.items.map((c) => c.n));
    let pages = 1;
    while (page.cursor !== undefined) {
      page = await counters.page({ where: { n: { gte: 3 } }, pageSize: 7, cursor: page.cursor });
      expect('total' in page).toBe(false);
      seen.push(...page.items.map((c) => c.n));
      pages++;
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 22 }, (_, i) => i + 3));
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it('refuses a cursor it did not give (ValidationError INVALID_CURSOR)', async () => {
    const counters = store.repository(Counter);
    for (const cursor of ['not base64 json', Buffer.from('{"x":1}').toString('base64url'), 'e30']) {
      await expect(counters.page({ cursor })).rejects.toMatchObject({
        name: 'ValidationError',
        code: 'INVALID_CURSOR',
      });
    }
  });

  it('search answers the first page with the total', async () => {
    const page = await store.repository(Counter).search({ where: { n: { lt: 10 } }, pageSize: 4 });
    expect(page.items).toHaveLength(4);
    expect(page.total).toBe(10);
  });
});

describe('transactions', () => {
  it('writes everything at the end, or nothing; reads inside do not see its writes', async () => {
    const counters = store.repository(Counter);
    const a = Counter.create({ name: 'tx-a', n: 1 });
    const b = Counter.create({ name: 'tx-b', n: 2 });
    await store.transaction(async () => {
      await counters.save(a);
      await counters.save(b);
      // Gap 'transactions-read-own-writes': nothing is sent before the work ends.
      expect(await counters.getOrNone(a.entityId)).toBeUndefined();
    });
    expect(await counters.range([a.entityId, b.entityId])).toHaveLength(2);

    const c = Counter.create({ name: 'tx-c', n: 3 });
    await expect(
      store.transaction(async () => {
        await counters.save(c);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await counters.getOrNone(c.entityId)).toBeUndefined();
  });

  it('a stale save in a transaction is refused at once, and nothing of it is written', async () => {
    const repo = orders();
    const mine = await repo.save(order('cara', 1, 1));
    await repo.save({ ...mine, total: 2 }); // someone else's save: `mine` is stale now
    const fresh = order('cara', 2, 5);
    await expect(
      store.transaction(async () => {
        await repo.save(fresh);
        await repo.save({ ...mine, total: 3 });
      }),
    ).rejects.toMatchObject({ name: 'ConflictError', code: 'STALE_VERSION' });
    expect(await repo.getOrNone(fresh.entityId)).toBeUndefined();
  });

  it('a save by someone else before the end cancels every write, with the typed error', async () => {
    const repo = orders();
    const mine = await repo.save(order('eve', 1, 1));
    const fresh = order('eve', 2, 5);
    const elsewhere = await openDynamo(server, store.settings.tablePrefix);
    try {
      await expect(
        store.transaction(async () => {
          await repo.save(fresh);
          await repo.save({ ...mine, total: 3 }); // current now: its condition is written
          await elsewhere.repository(Order).save({ ...mine, total: 4 }); // another process
        }),
      ).rejects.toMatchObject({ name: 'ConflictError', code: 'STALE_VERSION' });
    } finally {
      elsewhere.close();
    }
    expect(await repo.getOrNone(fresh.entityId)).toBeUndefined();
    expect((await repo.get(mine.entityId)).total).toBe(4);
  });

  it('saves of one entity in one transaction are one write; a stale copy in it is refused', async () => {
    const repo = orders();
    const first = await repo.save(order('dan', 1, 1));
    const third = await store.transaction(async () => {
      const second = await repo.save({ ...first, total: 2 });
      await expect(repo.save({ ...first, total: 9 })).rejects.toThrow(ConflictError);
      return repo.save({ ...second, total: 3 });
    });
    expect((await repo.get(first.entityId)).total).toBe(3);
    expect((await repo.history(first.entityId)).map((o) => o.total)).toEqual([1, 2, 3]);
    expect(third.previousVersion).not.toBe(first.version);
  });

  it('an insert and a save of it in one transaction are one write, still refused if the key exists', async () => {
    const counters = store.repository(Counter);
    const first = Counter.create({ name: 'merge', n: 1 });
    await store.transaction(async () => {
      const [created] = await counters.bulkCreate([first]);
      await counters.save({ ...(created as typeof first), n: 2 });
    });
    expect((await counters.get(first.entityId)).n).toBe(2);
    // The same key again: the insert's condition stays with the merged write.
    await expect(
      store.transaction(async () => {
        const [created] = await counters.bulkCreate([{ ...first, n: 7 }]);
        await counters.save({ ...(created as typeof first), n: 8 });
      }),
    ).rejects.toMatchObject({ name: 'AlreadyExistsError', code: 'DUPLICATE_KEY' });
    expect((await counters.get(first.entityId)).n).toBe(2);
  });

  it(`refuses more than ${TRANSACTION_LIMIT} items with a typed error, and writes none`, async () => {
    const counters = store.repository(Counter);
    const many = Array.from({ length: TRANSACTION_LIMIT + 1 }, (_, i) =>
      Counter.create({ name: `big${i}`, n: i }),
    );
    const error = await counters.bulkCreate(many).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'DYNAMODB_TRANSACTION_TOO_LARGE' });
    expect(await counters.count({ name: { startsWith: 'big' } })).toBe(0);
    // A versioned save is two items: 50 fit, 51 do not.
    const fifty = Array.from({ length: 51 }, (_, i) => order(`many${i}`, 1, i));
    await expect(orders().saveAll(fifty)).rejects.toMatchObject({
      code: 'DYNAMODB_TRANSACTION_TOO_LARGE',
    });
    await orders().saveAll(fifty.slice(0, 50));
    expect(await orders().count({ customer: { startsWith: 'many' } })).toBe(50);
  });
});

describe('concurrency', () => {
  it('50 concurrent saves of one stale read: exactly one wins, 49 STALE_VERSION', async () => {
    const repo = orders();
    const read = await repo.save(order('race', 1, 0));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => repo.save({ ...read, total: i + 1 })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const e of lost) expect(e).toMatchObject({ name: 'ConflictError', code: 'STALE_VERSION' });
    expect(await repo.history(read.entityId)).toHaveLength(2);
  });
});

describe('bad input', () => {
  it('malformed ids and values are ValidationErrors; unknown fields UsageErrors', async () => {
    await expect(orders().get('nope')).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_KEY',
    });
    await expect(orders().range(['nope'])).rejects.toBeInstanceOf(ValidationError);
    await expect(
      orders().getMany({ where: { total: { in: 'x' } } as never }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONDITION',
    });
    await expect(orders().count({ nope: 1 } as never)).rejects.toMatchObject({
      code: 'UNKNOWN_FIELD',
    });
    await expect(orders().page({ pageSize: 0 })).rejects.toMatchObject({ code: 'INVALID_PAGE' });
    await expect(orders().page({ pageSize: 1001 })).rejects.toMatchObject({
      code: 'PAGE_SIZE_EXCEEDED',
    });
    await expect(
      orders().save(order('x', 1, 1), { message: { queue: 'q', data: {} } }),
    ).rejects.toMatchObject({ code: 'NO_OUTBOX' });
    // Attribute names go through placeholders: a reserved word or odd text is a value, not syntax.
    expect(await orders().count({ customer: "ann' OR 1=1" })).toBe(0);
  });
});
