// What differs on SurrealDB from the SQL stores, each difference as docs/surrealdb.md states it.
import { ConflictError, UsageError } from 'libretto';
import { belongsTo, model, SchemaRegistry } from 'libretto/data';
import { type SurrealDatabase, surrealRepository } from 'libretto/surrealdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failure } from '../failure.js';
import { openSurreal } from './store.js';

const Team = model('team', { name: z.string() }, { versioned: true });
const Player = model(
  'player',
  { name: z.string(), teamId: z.uuid().nullable() },
  { versioned: true, timestamps: true },
);
const Rule = model('rule', { age: z.int() }, { checks: { adult: 'age >= 18' } });
const schema = new SchemaRegistry([Team, Player], {
  relations: [belongsTo(Player, 'team', Team, 'teamId')],
});

describe('SurrealDB differences', () => {
  let db: SurrealDatabase;
  beforeAll(async () => {
    db = await openSurreal('differences');
    await db.prepare(schema);
  });
  afterAll(() => db?.close());

  it('does not enforce record links: a key naming nothing is saved, and fetches as null', async () => {
    const players = surrealRepository(Player, db, { schema });
    const orphan = await players.save(
      Player.create({ name: 'Orphan', teamId: '00000000-0000-4000-8000-000000000001' }),
    );
    const read = await players.get<{ team: unknown }>(orphan.entityId, { fetchRelated: ['team'] });
    expect(read.teamId).toBe(orphan.teamId);
    expect(read.team).toBeNull();
    // Removing a team still named is allowed too.
    const teams = surrealRepository(Team, db, { schema });
    const team = await teams.save(Team.create({ name: 'Held' }));
    await players.save(Player.create({ name: 'Holder', teamId: team.entityId }));
    expect(await teams.hardDelete(team.entityId)).toBe(true);
  });

  it('refuses models with checks when preparing (SQL text SurrealDB cannot run)', async () => {
    const error = await failure(db.prepare(new SchemaRegistry([Rule])));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('SURREAL_UNSUPPORTED');
    expect(error.message).toMatch(/^rule: SurrealDB cannot enforce checks \(adult\)/);
  });

  it('joins a transaction opened inside another (no savepoints): its writes stay with the outer one', async () => {
    const teams = surrealRepository(Team, db, { schema });
    const inner = Team.create({ name: 'Inner' });
    await db.transaction(async () => {
      await db
        .transaction(async () => {
          await teams.save(inner);
          throw new Error('inner failed');
        })
        .catch(() => undefined);
    });
    expect(await teams.contains(inner.entityId)).toBe(true);
  });

  it('reports two transactions writing the same record as a ConflictError', async () => {
    const teams = surrealRepository(Team, db, { schema });
    const team = await teams.save(Team.create({ name: 'Contended' }));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = db.transaction(async () => {
      await teams.save({ ...team, name: 'First' });
      await gate;
    });
    const second = db.transaction(async () => {
      await teams.save({ ...team, name: 'Second' });
    });
    const outcomes = await Promise.allSettled([second.finally(release), first]);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    const reason = (failed[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(ConflictError);
    expect(['DB_SERIALIZATION_FAILURE', 'STALE_VERSION']).toContain(reason.code);
    expect((await teams.history(team.entityId)).length).toBe(2);
  });

  it('has no outbox: a write with a message is refused', async () => {
    const teams = surrealRepository(Team, db, { schema });
    await expect(
      teams.save(Team.create({ name: 'x' }), { message: { queue: 'q', data: {} } }),
    ).rejects.toMatchObject({ name: 'UsageError', code: 'NO_OUTBOX' });
  });

  it('50 concurrent saves of one stale copy: exactly one wins, the others are STALE_VERSION', async () => {
    const players = surrealRepository(Player, db, { schema });
    const p = await players.save(Player.create({ name: 'Stale', teamId: null }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => players.save({ ...p, name: `Writer ${i}` })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({
        name: 'ConflictError',
        code: 'STALE_VERSION',
      });
    }
    const history = await players.history(p.entityId);
    expect(history).toHaveLength(2);
    expect(history[1]).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
    // The stored createdAt is kept across versions.
    expect(history[1]?.createdAt).toEqual(p.createdAt);
  });

  it('takes values as bindings: SurrealQL in a value matches nothing and runs nothing', async () => {
    const teams = surrealRepository(Team, db, { schema });
    await teams.save(Team.create({ name: 'Safe' }));
    const before = await teams.count();
    for (const name of ["x'; DELETE team; --", 'x" OR true OR "', '$parent', '} RETURN 1; {']) {
      expect(await teams.getMany({ where: { name } })).toEqual([]);
      expect(await teams.count({ name: { like: name } })).toBe(0);
    }
    expect(await teams.count()).toBe(before);
    await expect(
      teams.getMany({ where: { 'name; DELETE team': 'x' } as never }),
    ).rejects.toMatchObject({
      name: 'UsageError',
      code: 'UNKNOWN_FIELD',
    });
    await expect(teams.get('team:⟨x⟩')).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_KEY',
    });
    expect(() => surrealRepository(Team, db, { dialect: {} } as never)).toThrow(UsageError);
  });
});
