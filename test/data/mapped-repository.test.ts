import { ConflictError, ValidationError } from 'libretto';
import { mappedRepository, model, SchemaRegistry } from 'libretto/data';
import { transactional } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Opened } from '../postgres/backends.js';
import { type DataBackend, dataBackends } from './data-backends.js';

// The row: what the table holds.
const AccountRow = model(
  'account',
  { owner: z.string(), cents: z.int(), currency: z.enum(['EUR', 'USD']) },
  { versioned: true },
);
type AccountRow = model.Infer<typeof AccountRow>;

// The aggregate: behaviour and a value object, no columns in sight.
class Money {
  constructor(
    readonly cents: number,
    readonly currency: 'EUR' | 'USD',
  ) {}
}
class Account {
  constructor(
    readonly row: AccountRow,
    readonly balance: Money,
  ) {}
  get id(): string {
    return this.row.entityId;
  }
  withdraw(cents: number): Account {
    if (cents > this.balance.cents) throw new ValidationError('Insufficient funds');
    return new Account(this.row, new Money(this.balance.cents - cents, this.balance.currency));
  }
  deposit(cents: number): Account {
    return new Account(this.row, new Money(this.balance.cents + cents, this.balance.currency));
  }
}

const mapping = {
  toDomain: (row: AccountRow) => new Account(row, new Money(row.cents, row.currency)),
  fromDomain: (a: Account): AccountRow => ({
    ...a.row,
    cents: a.balance.cents,
    currency: a.balance.currency,
  }),
};

const list: DataBackend[] = await dataBackends();
afterAll(async () => {
  for (const b of list) await b.close();
});

describe.each(list.map((b) => [b.name, b] as const))('mapped repository on %s', (_n, backend) => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await backend.open();
    await new SchemaRegistry([AccountRow]).ensureSchema(opened.db);
  });
  afterAll(() => opened?.close());

  it('loads and saves aggregates through the mapping; a transfer is one transaction', async () => {
    const accounts = mappedRepository(AccountRow, opened.db, mapping);
    const open = (owner: string, cents: number) =>
      accounts.save(mapping.toDomain(AccountRow.create({ owner, cents, currency: 'EUR' })));
    const a = await open('Ann', 1_000);
    const b = await open('Bob', 0);
    expect(a).toBeInstanceOf(Account);

    const transfer = (from: string, to: string, cents: number) =>
      transactional(
        async () => {
          const x = await accounts.get(from);
          const y = await accounts.get(to);
          await accounts.saveAll([x.withdraw(cents), y.deposit(cents)]);
        },
        { database: opened.db },
      );
    await transfer(a.id, b.id, 300);
    expect((await accounts.get(a.id)).balance).toEqual(new Money(700, 'EUR'));
    expect((await accounts.get(b.id)).balance).toEqual(new Money(300, 'EUR'));

    // A failed rule rolls back both sides.
    await expect(transfer(a.id, b.id, 5_000)).rejects.toThrow('Insufficient funds');
    expect((await accounts.get(a.id)).balance.cents).toBe(700);

    // The aggregate carries the version it was read at: a stale one is refused.
    const stale = await accounts.get(a.id);
    await accounts.save(stale.deposit(1));
    await expect(accounts.save(stale.deposit(2))).rejects.toThrow(ConflictError);
    expect((await accounts.search({ where: { owner: 'Ann' } })).items[0]?.balance.cents).toBe(701);
  });
});
