import fc from 'fast-check';
import { UsageError, ValidationError } from 'libretto';
import { model, SchemaRegistry } from 'libretto/data';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

enum Priority {
  Low = 1,
  High = 2,
}

const Address = model(
  'address',
  { street: z.string(), city: z.string(), since: z.date() },
  { embedded: true, aliases: { street: 'street_line' } },
);

const Task = model(
  'task',
  {
    title: z.string(),
    status: z.enum(['open', 'done']),
    priority: z.enum(Priority),
    due: z.date().nullable(),
    estimate: z.number(),
    points: z.int(),
    budget: z.bigint(),
    labels: z.array(z.string()),
    home: Address.schema,
    past: z.array(Address.schema),
    note: z.string().optional(),
  },
  {
    versioned: true,
    aliases: { title: 'task_title', labels: 'tags' },
    computed: {
      summary: (t) => `${t.title} (${t.status})`,
      risky: (t) => {
        if (t.estimate < 0) throw new Error('no estimate');
        return t.estimate > 10;
      },
    },
  },
);
type Task = model.Infer<typeof Task>;

const Loose = model('loose', { name: z.string() }, { extra: true });

const task = (overrides: Partial<Task> = {}): Task => ({
  ...Task.create({
    title: 'Write docs',
    status: 'open',
    priority: Priority.High,
    due: new Date('2026-11-21T10:00:00.123Z'),
    estimate: 3.5,
    points: 8,
    budget: 12345678901234567890n,
    labels: ['docs'],
    home: { street: '1 Main St', city: 'Oslo', since: new Date('2020-01-01T00:00:00Z') },
    past: [],
  }),
  ...overrides,
});

describe('model', () => {
  it('creates entities with the base fields filled in and the input validated', () => {
    const t = task();
    expect(t.entityId).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.version).not.toBe(t.entityId);
    expect(t.previousVersion).toBeNull();
    expect(t.active).toBe(true);
    expect(t.changedOn).toBeInstanceOf(Date);
    const failure = (() => {
      try {
        Task.create({ title: 3 } as never);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).details).toContainEqual(
      expect.objectContaining({ path: 'title' }),
    );
    const plain = model('plain', { name: z.string() }).create({ name: 'x' });
    expect(Object.keys(plain).sort()).toEqual(['entityId', 'name']);
  });

  it('prepareForSave rotates the version', () => {
    const t = task();
    const next = Task.prepareForSave(t, 'user-7');
    expect(next.previousVersion).toBe(t.version);
    expect(next.version).not.toBe(t.version);
    expect(next.changedById).toBe('user-7');
    expect(next.entityId).toBe(t.entityId);
    expect(t.previousVersion).toBeNull(); // the input is left alone
    const Plain = model('plain', { name: z.string() });
    expect(() => Plain.prepareForSave(Plain.create({ name: 'x' }))).toThrow(
      expect.objectContaining({ name: 'UsageError', code: 'MODEL_NOT_VERSIONED' }),
    );
  });

  it('toDict: dates as ISO strings, enums as strings, nested models, aliases, computed', () => {
    const t = task();
    const dict = Task.toDict(t);
    expect(dict).toMatchObject({
      task_title: 'Write docs',
      tags: ['docs'],
      status: 'open',
      priority: 'High',
      due: '2026-11-21T10:00:00.123Z',
      budget: '12345678901234567890',
      home: { street_line: '1 Main St', city: 'Oslo', since: '2020-01-01T00:00:00.000Z' },
      summary: 'Write docs (open)',
      risky: false,
      entityId: t.entityId,
      changedOn: t.changedOn.toISOString(),
    });
    expect('title' in dict).toBe(false);
    expect('note' in dict).toBe(false);
    expect(Task.toDict(t, { computed: false })).not.toHaveProperty('summary');
    // A computed value that throws is left out; the others stay.
    const broken = Task.toDict(task({ estimate: -1 }));
    expect(broken).not.toHaveProperty('risky');
    expect(broken.summary).toBe('Write docs (open)');
  });

  it('fromDict: aliases or names, computed keys ignored, exact round trip', () => {
    const t = task({ past: [{ street: 'Old Rd', city: 'Bergen', since: new Date(0) }] });
    const dict = Task.toDict(t);
    expect(Task.fromDict(dict)).toEqual(t);
    expect(Task.toDict(Task.fromDict(dict))).toEqual(dict);
    const byName = { ...dict, title: 'By name' } as Record<string, unknown>;
    delete byName.task_title;
    expect(Task.fromDict(byName).title).toBe('By name');
  });

  it('extra fields: kept only when the model opts in, flattened in toDict', () => {
    const loose = Loose.fromDict({ entityId: crypto.randomUUID(), name: 'n', colour: 'red' });
    expect(loose.colour).toBe('red');
    expect(Loose.extraOf(loose)).toEqual({ colour: 'red' });
    expect(Loose.toDict(loose)).toEqual({ entityId: loose.entityId, name: 'n', colour: 'red' });
    const strict = model('strict', { name: z.string() });
    const s = strict.fromDict({ entityId: crypto.randomUUID(), name: 'n', colour: 'red' });
    expect(s).not.toHaveProperty('colour');
    const poisoned = Loose.fromDict(
      JSON.parse(`{"entityId":"${crypto.randomUUID()}","name":"n","__proto__":{"admin":true}}`),
    );
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.getPrototypeOf(poisoned)).toBe(Object.prototype);
  });

  it('fromDict refuses what does not fit, with the path', () => {
    const dict = Task.toDict(task());
    const expectPath = (bad: Record<string, unknown>, path: string) => {
      try {
        Task.fromDict({ ...dict, ...bad });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).details.map((d) => d.path)).toContain(path);
      }
    };
    expectPath({ due: 'yesterday' }, 'due');
    expect(() => Task.fromDict({ ...dict, due: 'yesterday' })).toThrow(
      expect.objectContaining({ code: 'INVALID_DATE' }),
    );
    expectPath({ status: 'closed' }, 'status');
    expectPath({ home: { street_line: 1, city: 'x', since: '2020-01-01T00:00:00Z' } }, 'street');
    expect(() => Task.fromDict('nope')).toThrow(ValidationError);
  });

  it('round trips any entity exactly (property-based)', () => {
    const date = fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2200-01-01T00:00:00Z'),
      noInvalidDate: true,
    });
    const address = fc.record({ street: fc.string(), city: fc.string(), since: date });
    const arbitrary = fc.record({
      title: fc.string(),
      status: fc.constantFrom('open' as const, 'done' as const),
      priority: fc.constantFrom(Priority.Low, Priority.High),
      due: fc.option(date, { nil: null }),
      // JSON has no -0 (it reads back as 0), so the JSON leg starts from 0.
      estimate: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
      points: fc.maxSafeInteger(),
      budget: fc.bigInt(),
      labels: fc.array(fc.string()),
      home: address,
      past: fc.array(address, { maxLength: 3 }),
      note: fc.option(fc.string(), { nil: undefined }),
    });
    fc.assert(
      fc.property(arbitrary, (input) => {
        const { note, ...rest } = input;
        const t = Task.create(note === undefined ? rest : input);
        const dict = Task.toDict(t);
        expect(Task.fromDict(dict)).toEqual(t);
        expect(Task.toDict(Task.fromDict(JSON.parse(JSON.stringify(dict))))).toEqual(dict);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bad definitions with UsageError (a programming mistake)', () => {
    const bad = (f: () => unknown, pattern: RegExp) => {
      expect(f).toThrow(UsageError);
      expect(f).toThrow(pattern);
    };
    bad(() => model('Bad Name', { a: z.string() }), /table/);
    bad(
      () => model('x', { a: z.string() }, { versioned: true, aliases: { version: 'v' } as never }),
      /base fields/,
    );
    bad(() => model('x', { a: z.string(), b: z.string() }, { aliases: { a: 'b' } }), /already/);
    bad(() => model('x', { a: z.string() }, { primaryKey: ['b' as 'a'] }), /primaryKey/);
    bad(
      () => model('x', { a: z.string() }, { versioned: true, primaryKey: ['a'] }),
      /versioned model is keyed/,
    );
    bad(() => model('x', { a: z.string() }, { versiond: true } as never), /versiond unknown/);
    bad(() => model('x', { version: z.string() }, { versioned: true }), /base field/);
    bad(() => model('x', { 'a-b': z.string() }), /camelCase/);
    bad(() => model('x', { a: z.string() }, { computed: { a: () => 1 } }), /name of a field/);
    bad(() => model('x', { a: z.string() }, { primaryKey: [] }), /at least one/);
    bad(
      () => model('x', { a: z.string() }, { versioned: true, softDelete: true }),
      /inactive version/,
    );
  });

  it('infers entity and id types (no `any`)', () => {
    expectTypeOf<Task['title']>().toEqualTypeOf<string>();
    expectTypeOf<Task['previousVersion']>().toEqualTypeOf<string | null>();
    expectTypeOf<Task['note']>().toEqualTypeOf<string | undefined>();
    const Pair = model('pair', { a: z.string(), b: z.int() }, { primaryKey: ['a', 'b'] });
    expectTypeOf<model.Id<typeof Pair>>().toEqualTypeOf<{ a: string; b: number }>();
    expectTypeOf<model.Id<typeof Task>>().toEqualTypeOf<string>();
    const plain = model('plain', { name: z.string() }).create({ name: 'x' });
    // @ts-expect-error an unversioned model has no version
    expect(plain.version).toBeUndefined();
  });

  it('generates DDL for the table and its audit table', () => {
    const [table, audit] = new SchemaRegistry([Task]).ddl();
    expect(table).toContain('CREATE TABLE IF NOT EXISTS "task"');
    expect(table).toContain('"entity_id" uuid NOT NULL');
    expect(table).toContain('"previous_version" uuid,');
    expect(table).toContain('"budget" numeric NOT NULL');
    expect(table).toContain('"points" bigint NOT NULL');
    expect(table).toContain('"home" jsonb NOT NULL');
    expect(table).toContain('"note" text,');
    expect(table).toContain('PRIMARY KEY ("entity_id")');
    expect(table).not.toContain('summary');
    expect(audit).toContain('CREATE TABLE IF NOT EXISTS "task_audit"');
    expect(audit).toContain('PRIMARY KEY ("entity_id", "version")');
  });
});
