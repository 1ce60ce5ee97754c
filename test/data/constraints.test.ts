// Constraints in SQL: the DDL that declares them, and ensureSchema adding them to tables that
// exist. The errors a repository turns their violations into are the conformance suite's
// (repository-conformance.ts), the same on every store.

import {
  belongsTo,
  hasMany,
  mappedRepository,
  model,
  repository,
  SchemaRegistry,
} from 'libretto/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failure } from '../failure.js';
import type { Opened } from '../postgres/backends.js';
import { type DataBackend, dataBackends } from './data-backends.js';

const Company = model('company', { name: z.string(), vat: z.string() }, { unique: ['vat'] });
const Employee = model(
  'employee',
  {
    email: z.email(),
    companyId: z.uuid().nullable(),
    badge: z.int(),
    age: z.int(),
    mentorId: z.uuid().nullable().default(null),
  },
  {
    versioned: true,
    unique: ['email', ['companyId', 'badge']],
    indexes: [['companyId', 'age']],
    checks: { adult: 'age >= 18' },
  },
);
const Note = model('note', { text: z.string(), companyId: z.uuid() });

const schema = new SchemaRegistry([Company, Employee, Note], {
  relations: [
    belongsTo(Employee, 'company', Company, 'companyId'),
    hasMany(Company, 'staff', Employee, 'companyId'),
    belongsTo(Employee, 'mentor', Employee, 'mentorId'),
    belongsTo(Note, 'company', Company, 'companyId', { references: false }),
  ],
});

const list: DataBackend[] = await dataBackends();
afterAll(async () => {
  for (const b of list) await b.close();
});

describe.each(list.map((b) => [b.name, b] as const))('constraints on %s', (_name, backend) => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await backend.open();
    await schema.ensureSchema(opened.db);
    await schema.ensureSchema(opened.db); // a second time: every statement is idempotent
  });
  afterAll(() => opened?.close());

  const newEmployee = (companyId: string | null, email: string, badge: number) =>
    Employee.create({ email, companyId, badge, age: 30 });

  it('ensureSchema adds new constraints to tables that exist', async () => {
    const Before = model('badge', { code: z.string(), ownerId: z.uuid() });
    await new SchemaRegistry([Before, Company]).ensureSchema(opened.db);
    const After = model('badge', { code: z.string(), ownerId: z.uuid() }, { unique: ['code'] });
    const later = new SchemaRegistry([After, Company], {
      relations: [belongsTo(After, 'owner', Company, 'ownerId')],
    });
    await later.ensureSchema(opened.db);
    const badges = repository(After, opened.db, { schema: later });
    const owner = await repository(Company, opened.db).save(
      Company.create({ name: 'G', vat: 'GB5' }),
    );
    await badges.save(After.create({ code: 'b1', ownerId: owner.entityId }));
    expect(
      (await failure(badges.save(After.create({ code: 'b1', ownerId: owner.entityId })))).code,
    ).toBe('DUPLICATE_VALUE');
    const orphan = await failure(
      badges.save(After.create({ code: 'b2', ownerId: crypto.randomUUID() })),
    );
    expect(orphan.message).toBe('badge.owner: no company has the ownerId given');
  });

  it('mappedRepository.deleteAll deletes each in one transaction', async () => {
    const people = mappedRepository(Employee, opened.db, {
      toDomain: (row) => ({ row }),
      fromDomain: (d: { row: model.Infer<typeof Employee> }) => d.row,
    });
    const a = await people.save({ row: newEmployee(null, 'da@example.com', 4) });
    const b = await people.save({ row: newEmployee(null, 'db@example.com', 4) });
    await people.deleteAll([a, b]);
    expect(await people.getOrNone(a.row.entityId)).toBeUndefined();
    expect(await people.getOrNone(b.row.entityId)).toBeUndefined();
    expect((await people.get(a.row.entityId, { includeDeleted: true })).row.active).toBe(false);
  });
});

describe('constraints in the DDL', () => {
  it('names them; the audit table has none; a relation may opt out of its foreign key', () => {
    const ddl = schema.ddl();
    const text = ddl.join('\n');
    expect(text).toContain(
      'CREATE UNIQUE INDEX IF NOT EXISTS "employee_company_id_badge_key" ON "employee" ("company_id", "badge") WHERE "active"',
    );
    expect(text).toContain(
      'CREATE UNIQUE INDEX IF NOT EXISTS "company_vat_key" ON "company" ("vat")\n',
    );
    expect(text).toContain(
      'CREATE INDEX IF NOT EXISTS "employee_company_id_age_idx" ON "employee" ("company_id", "age")',
    );
    expect(text).toContain('ADD CONSTRAINT "employee_adult_check" CHECK (age >= 18)');
    expect(text).toContain(
      'ADD CONSTRAINT "employee_company_id_fkey" FOREIGN KEY ("company_id") REFERENCES "company" ("entity_id")',
    );
    expect(text).not.toContain('note_company_id_fkey');
    expect(ddl.filter((s) => s.includes('employee_audit'))).toHaveLength(1);
    expect(ddl.at(-1)).toContain('FOREIGN KEY');
  });

  it('refuses constraints on fields the model lacks', () => {
    // @ts-expect-error: a field the model lacks does not compile either
    expect(() => model('x', { a: z.string() }, { unique: ['b'] })).toThrow(
      'model: unique[0] "b" is not a field',
    );
    expect(() => model('x', { a: z.string() }, { indexes: [['a', 'a']] })).toThrow(
      'model: indexes[0] names a field twice',
    );
    expect(() => model('x', { a: z.string() }, { checks: { 'Bad Name': 'true' } })).toThrow(
      'must be lower case letters, digits and _',
    );
  });

  it('fromDict takes a seed with no base fields as a new entity; round trips stay exact', () => {
    const seed = Employee.fromDict({ email: 's@example.com', companyId: null, badge: 1, age: 40 });
    expect(seed).toMatchObject({ previousVersion: null, active: true, changedById: null });
    expect(seed.entityId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seed.mentorId).toBeNull();
    expect(Employee.fromDict(Employee.toDict(seed))).toEqual(seed);
  });
});
