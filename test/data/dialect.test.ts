// The dialect seam: the repository takes its SQL from a SqlDialect, and runs statements a
// dialect writes as several steps (no writing WITH, no RETURNING, as on MySQL) with argument
// slots (as `?` placeholders need) without any change to its own logic.
import { ConflictError } from 'libretto';
import {
  type DialectStatement,
  model,
  PostgresDialect,
  postgresDialect,
  repository,
  SchemaRegistry,
  type SqlDialect,
} from 'libretto/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Backend, backends, type Opened } from '../postgres/backends.js';

const Note = model('step_note', { text: z.string() }, { versioned: true });
type Note = model.Infer<typeof Note>;

/**
 * The versioned save as a dialect without a writing WITH writes it: lock, copy to the audit
 * table, update, read back, in one transaction. Arguments: 0 id, 1 version read, 2 next
 * version, 3 now, 4 changedById, 5 active, 6 text; each step takes them through `slots`, in
 * its own order and repeated, as `?` placeholders take them.
 */
class StepwiseDialect extends PostgresDialect {
  override versionedUpdate(): DialectStatement {
    return {
      text: 'SELECT 1 FROM "step_note" WHERE "entity_id" = $1 FOR UPDATE',
      slots: [0],
      followedBy: [
        {
          text: 'INSERT INTO "step_note_audit" SELECT * FROM "step_note" WHERE "entity_id" = $1 AND "version" = $2',
          slots: [0, 1],
        },
        {
          text: 'UPDATE "step_note" SET "version" = $1, "previous_version" = $2, "changed_on" = $3, "changed_by_id" = $4, "active" = $5, "text" = $6 WHERE "entity_id" = $7 AND "version" = $8',
          slots: [2, 1, 3, 4, 5, 6, 0, 1],
        },
        {
          text: 'SELECT 1 AS created FROM "step_note" WHERE "entity_id" = $1 AND "version" = $2',
          slots: [0, 2],
        },
      ],
    };
  }
}

/** Counts what the repository asks of the dialect. */
function counting(dialect: SqlDialect): { dialect: SqlDialect; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(dialect, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { dialect: proxy, calls };
}

const list: Backend[] = await backends();
afterAll(async () => {
  for (const b of list) await b.close();
});

describe.each(list.map((b) => [b.name, b] as const))('dialect seam on %s', (_name, backend) => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await backend.open();
    await new SchemaRegistry([Note], { dialect: new StepwiseDialect() }).ensureSchema(opened.db);
  });
  afterAll(() => opened?.close());

  it('a versioned save written as several steps with argument slots behaves as the one-statement save', async () => {
    const notes = repository(Note, opened.db, { dialect: new StepwiseDialect() });
    const first = await notes.save(Note.create({ text: 'a' }), { changedById: 'u1' });
    const second = await notes.save({ ...first, text: 'b' }, { changedById: 'u2' });
    expect(second.previousVersion).toBe(first.version);
    expect(await notes.get(first.entityId)).toEqual(second);
    await expect(notes.save({ ...first, text: 'stale' })).rejects.toMatchObject({
      name: 'ConflictError',
      code: 'STALE_VERSION',
    });
    expect((await notes.history(first.entityId)).map((n) => [n.text, n.changedById])).toEqual([
      ['a', 'u1'],
      ['b', 'u2'],
    ]);
    // The steps hold the row lock: of ten saves from one read, exactly one wins.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => notes.save({ ...second, text: `w${i}` })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(lost.every((o) => o.reason instanceof ConflictError)).toBe(true);
    expect(await notes.get(first.entityId)).toEqual((won[0] as PromiseFulfilledResult<Note>).value);
  });

  it('writes each statement once per repository: reads and saves build nothing per call', async () => {
    const { dialect, calls } = counting(postgresDialect);
    const notes = repository(Note, opened.db, { dialect });
    const made = new Map(calls);
    let note = await notes.save(Note.create({ text: 'x' }));
    for (let i = 0; i < 5; i++) {
      await notes.get(note.entityId);
      await notes.contains(note.entityId);
      note = await notes.save({ ...note, text: `x${i}` });
    }
    await notes.history(note.entityId);
    await notes.history(note.entityId);
    const after = Object.fromEntries(calls);
    // Key reads were written with the repository; the insert, update and history once each.
    expect(Object.fromEntries(made)).toEqual({ selectByKey: 2, existsByKey: 2 });
    expect(after).toEqual({
      selectByKey: 2,
      existsByKey: 2,
      insert: 1,
      versionedUpdate: 1,
      history: 1,
    });
    // Reads whose conditions come with the call are written per call.
    await notes.getMany({ where: { text: 'x4' } });
    await notes.count({ text: 'x4' });
    expect([calls.get('select'), calls.get('count')]).toEqual([1, 1]);
  });
});
