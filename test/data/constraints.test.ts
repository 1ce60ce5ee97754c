import {
  AlreadyExistsError,
  ConflictError,
  RelatedResourceNotFoundError,
  ValidationError,
} from 'libretto';
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

// Constraints the database enforces, declared on models and relations, and the errors a
// repository turns their violations into: the same on every backend.

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

  const setup = () => {
    const companies = repository(Company, opened.db, { schema });
    const employees = repository(Employee, opened.db, { schema });
    return { companies, employees };
  };
  const newEmployee = (companyId: string | null, email: string, badge: number) =>
    Employee.create({ email, companyId, badge, age: 30 });

  it('a duplicate unique field is an AlreadyExistsError naming the field; nothing written', async () => {
    const { companies } = setup();
    await companies.save(Company.create({ name: 'A', vat: 'GB1' }));
    const error = await failure(companies.save(Company.create({ name: 'B', vat: 'GB1' })));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error.message).toBe('A company with this vat already exists');
    expect(error.code).toBe('DUPLICATE_VALUE');
    expect(error.details).toEqual([{ path: 'vat', message: 'already taken', resource: 'company' }]);
    expect(await companies.count({ vat: 'GB1' })).toBe(1);
    const bulk = await failure(
      companies.bulkCreate([
        Company.create({ name: 'C', vat: 'GB2' }),
        Company.create({ name: 'D', vat: 'GB1' }),
      ]),
    );
    expect(bulk.message).toBe('A company with this vat already exists');
    expect(await companies.count({ vat: 'GB2' })).toBe(0);
  });

  it('a duplicate composite key names both fields; a deleted entity frees its values', async () => {
    const { companies, employees } = setup();
    const co = await companies.save(Company.create({ name: 'E', vat: 'GB3' }));
    const first = await employees.save(newEmployee(co.entityId, 'a@example.com', 7));
    const error = await failure(employees.save(newEmployee(co.entityId, 'b@example.com', 7)));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error.message).toBe('An employee with this companyId and badge already exists');
    expect(await employees.count({ email: 'b@example.com' })).toBe(0);
    const sameEmail = await failure(employees.save(newEmployee(co.entityId, 'a@example.com', 8)));
    expect(sameEmail.message).toBe('An employee with this email already exists');
    // An update that would take another's value is refused too, and writes no version.
    const second = await employees.save(newEmployee(co.entityId, 'c@example.com', 9));
    const clash = await failure(employees.save({ ...second, email: 'a@example.com' }));
    expect(clash).toBeInstanceOf(AlreadyExistsError);
    expect(await employees.history(second.entityId)).toHaveLength(1);
    // Unique among live versions: once deleted, the values are free again.
    await employees.delete(first);
    await employees.save(newEmployee(co.entityId, 'a@example.com', 7));
  });

  it('a key naming no entity is a RelatedResourceNotFoundError naming the relation', async () => {
    const { employees } = setup();
    const missing = crypto.randomUUID();
    const e = newEmployee(missing, 'orphan@example.com', 1);
    const error = await failure(employees.save(e));
    expect(error).toBeInstanceOf(RelatedResourceNotFoundError);
    expect(error.code).toBe('RELATED_ENTITY_NOT_FOUND');
    expect(error.message).toBe('employee.company: no company has the companyId given');
    expect(error.message).not.toContain(missing);
    expect(await employees.getOrNone(e.entityId)).toBeUndefined();
    // A null key names nothing and is allowed; an opted-out relation checks nothing.
    await employees.save(newEmployee(null, 'free@example.com', 1));
    const notes = repository(Note, opened.db, { schema });
    await notes.save(Note.create({ text: 'loose', companyId: missing }));
  });

  it('a hard delete of an entity still named is a ConflictError; a failed check names it', async () => {
    const { companies, employees } = setup();
    const co = await companies.save(Company.create({ name: 'F', vat: 'GB4' }));
    await employees.save(newEmployee(co.entityId, 'held@example.com', 1));
    const error = await failure(companies.hardDelete(co.entityId));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.code).toBe('ENTITY_REFERENCED');
    expect(error.message).toBe('company is still the company of an employee: it cannot be removed');
    expect(await companies.contains(co.entityId)).toBe(true);
    // A model naming itself: a save is told from a delete.
    const mentor = await employees.save(newEmployee(null, 'mentor@example.com', 5));
    const mentee = Employee.create({
      email: 'mentee@example.com',
      companyId: null,
      badge: 6,
      age: 20,
      mentorId: crypto.randomUUID(),
    });
    expect((await failure(employees.save(mentee))).message).toBe(
      'employee.mentor: no employee has the mentorId given',
    );
    await employees.save({ ...mentee, mentorId: mentor.entityId });
    const held = await failure(employees.hardDelete(mentor.entityId));
    expect(held.code).toBe('ENTITY_REFERENCED');
    expect(held.message).toBe('employee is still the mentor of an employee: it cannot be removed');
    expect(await employees.history(mentor.entityId)).toHaveLength(1);
    const young = Employee.create({ email: 'y@example.com', companyId: null, badge: 2, age: 12 });
    const check = await failure(employees.save(young));
    expect(check).toBeInstanceOf(ValidationError);
    expect(check.code).toBe('CHECK_FAILED');
    expect(check.message).toBe('employee breaks the rule adult');
  });

  it('saving a copy save already replaced says this copy is out of date', async () => {
    const { employees } = setup();
    const created = await employees.save(newEmployee(null, 'copy@example.com', 3));
    const saved = await employees.save({ ...created, age: 31 });
    const { version: after } = saved;
    expect((await employees.save(saved)).previousVersion).toBe(after);
    const error = await failure(employees.save(saved));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.code).toBe('OUT_OF_DATE_COPY');
    expect(error.message).toMatch(
      new RegExp(
        `^This copy of employee ${created.entityId} is out of date: it was saved already, as version [0-9a-f-]{36}; save the object save returned$`,
      ),
    );
    const other = { ...(await employees.get(created.entityId)) };
    await employees.save({ ...other });
    const stale = await failure(employees.save(other));
    expect(stale.code).toBe('STALE_VERSION');
    expect(stale.message).toContain('was saved by someone else');
  });

  it('with softDelete, values are unique among rows not deleted', async () => {
    const Handle = model('handle', { name: z.string() }, { softDelete: true, unique: ['name'] });
    await new SchemaRegistry([Handle]).ensureSchema(opened.db);
    const handles = repository(Handle, opened.db);
    const first = await handles.save(Handle.create({ name: 'ada' }));
    const twin = await failure(handles.save(Handle.create({ name: 'ada' })));
    expect(twin.message).toBe('A handle with this name already exists');
    await handles.delete(first);
    await handles.save(Handle.create({ name: 'ada' }));
    expect(await handles.count({ name: 'ada' }, { includeDeleted: true })).toBe(2);
  });

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
