// Migrations generated from the schema registry, on every backend: the example's registry on
// an empty database gives the first migration; applied with the Migrator, the next diff is
// empty; a model that gains a field, a unique constraint and a relation gives exactly that
// delta; the result is the schema ensureSchema() makes (compared by introspection).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { belongsTo, hasMany, model, SchemaRegistry } from 'libretto/data';
import {
  createMigrationFile,
  generateSchemaMigration,
  introspectSchema,
  type LiveSchema,
  Migrator,
} from 'libretto/migrations';
import type { Database } from 'libretto/postgres';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Organization, Person, schema } from '../../examples/http-api/app.js';
import { type Backend, backends, type Opened } from '../postgres/backends.js';

const all: Backend[] = await backends();
// The HA pool over one master reads the same catalogue as the server it wraps: the migration
// runner's own tests cover it.
const list = all.filter((b) => b.name !== 'HA pool (one master)');
afterAll(async () => {
  for (const b of all) await b.close();
});

/** The example's Person with a phone (unique among live people) and a mentor. */
const PersonV2 = model(
  'person',
  {
    ...Person.fields,
    phone: z.string().nullable().default(null),
    mentorId: z.uuid().nullable().default(null),
  },
  { versioned: true, timestamps: true, unique: ['email', 'phone'] },
);
const schemaV2 = new SchemaRegistry([Organization, PersonV2], {
  relations: [
    belongsTo(PersonV2, 'organization', Organization, 'organizationId'),
    hasMany(Organization, 'members', PersonV2, 'organizationId'),
    belongsTo(PersonV2, 'mentor', PersonV2, 'mentorId'),
  ],
});
/** Version 3 has no phone any more. */
const PersonV3 = model(
  'person',
  { ...Person.fields, mentorId: z.uuid().nullable().default(null) },
  { versioned: true, timestamps: true, unique: ['email'] },
);
const schemaV3 = new SchemaRegistry([Organization, PersonV3], {
  relations: [
    belongsTo(PersonV3, 'organization', Organization, 'organizationId'),
    belongsTo(PersonV3, 'mentor', PersonV3, 'mentorId'),
  ],
});

const DELTA_UP = `ALTER TABLE "person" ADD COLUMN "phone" text;

ALTER TABLE "person" ADD COLUMN "mentor_id" uuid;

ALTER TABLE "person_audit" ADD COLUMN "phone" text;

ALTER TABLE "person_audit" ADD COLUMN "mentor_id" uuid;

CREATE INDEX "person_mentor_id_idx" ON "person" ("mentor_id");

CREATE UNIQUE INDEX "person_phone_key" ON "person" ("phone") WHERE "active";

ALTER TABLE "person" ADD CONSTRAINT "person_mentor_id_fkey" FOREIGN KEY ("mentor_id") REFERENCES "person" ("entity_id");`;

const DELTA_DOWN = `ALTER TABLE "person" DROP CONSTRAINT "person_mentor_id_fkey";

DROP INDEX "person_phone_key";

DROP INDEX "person_mentor_id_idx";

ALTER TABLE "person_audit" DROP COLUMN "mentor_id";

ALTER TABLE "person_audit" DROP COLUMN "phone";

ALTER TABLE "person" DROP COLUMN "mentor_id";

ALTER TABLE "person" DROP COLUMN "phone";`;

const DROP_PHONE = `-- WARNING: destructive: person loses the unique index person_phone_key
-- DROP INDEX "person_phone_key";

-- WARNING: destructive: person.phone is not in the registry: dropping it deletes its values
-- ALTER TABLE "person" DROP COLUMN "phone";

-- WARNING: destructive: person_audit.phone is not in the registry: dropping it deletes its values
-- ALTER TABLE "person_audit" DROP COLUMN "phone";`;

describe.each(list.map((b) => [b.name, b] as const))(
  'schema migrations on %s',
  (_name, backend) => {
    let opened: Opened;
    let dir: string;
    const extra: Opened[] = [];

    /** Writes a generated migration and applies it with the Migrator; returns what it applied. */
    async function apply(text: string, name: string): Promise<string[]> {
      createMigrationFile(dir, name, { sql: text });
      const applied = await new Migrator({ database: opened.db, directory: dir }).up();
      return applied.map((m) => m.name);
    }

    /** The schema ensureSchema() makes on a fresh database of this backend. */
    async function ensured(registry: SchemaRegistry): Promise<LiveSchema> {
      const fresh = await backend.open();
      extra.push(fresh);
      await registry.ensureSchema(fresh.db);
      return introspectSchema(fresh.db);
    }

    const tables = async (db: Database) => (await introspectSchema(db)).tables.map((t) => t.name);

    beforeEach(async () => {
      opened = await backend.open();
      dir = mkdtempSync(join(tmpdir(), 'lb-schema-diff-'));
    });
    afterEach(async () => {
      for (const o of extra.splice(0)) await o.close();
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("writes the example's first migration, which Migrator applies and reverts", async () => {
      const first = await generateSchemaMigration(schema, opened.db);
      expect(first.empty).toBe(false);
      expect(first.warnings).toEqual([]);
      // Tables in registration order, each audit table after its own, then indexes, then keys.
      const heads = first.up.split('\n\n').map((s) => s.split(' (')[0]);
      expect(heads).toEqual([
        'CREATE TABLE "organization"',
        'CREATE TABLE "organization_audit"',
        'CREATE TABLE "person"',
        'CREATE TABLE "person_audit"',
        'CREATE UNIQUE INDEX "person_email_key" ON "person"',
        'CREATE INDEX "person_organization_id_idx" ON "person"',
        'ALTER TABLE "person" ADD CONSTRAINT "person_organization_id_fkey" FOREIGN KEY',
      ]);
      expect(first.up).toContain(
        'CREATE TABLE "person" (\n  "entity_id" uuid NOT NULL,\n  "version" uuid NOT NULL,',
      );
      expect(first.up).toContain('  "changed_on" timestamptz NOT NULL,');
      expect(first.up).toContain('  "organization_id" uuid,\n  PRIMARY KEY ("entity_id")\n);');
      expect(first.up).toContain(
        'CREATE UNIQUE INDEX "person_email_key" ON "person" ("email") WHERE "active";',
      );
      expect(first.down.split('\n\n')).toEqual([
        'ALTER TABLE "person" DROP CONSTRAINT "person_organization_id_fkey";',
        'DROP INDEX "person_organization_id_idx";',
        'DROP INDEX "person_email_key";',
        'DROP TABLE "person_audit";',
        'DROP TABLE "person";',
        'DROP TABLE "organization_audit";',
        'DROP TABLE "organization";',
      ]);
      expect(first.text).toBe(
        `-- Generated by libretto from the schema registry: review it before applying.\n\n-- libretto:up\n${first.up}\n\n-- libretto:down\n${first.down}\n`,
      );

      expect(await apply(first.text, 'schema')).toEqual(['schema']);
      const again = await generateSchemaMigration(schema, opened.db);
      expect(again).toMatchObject({ empty: true, up: '', down: '', warnings: [] });
      expect(await introspectSchema(opened.db)).toEqual(await ensured(schema));

      const migrator = new Migrator({ database: opened.db, directory: dir });
      await migrator.down();
      expect(await tables(opened.db)).toEqual([]);
      await migrator.up();
      expect(await tables(opened.db)).toEqual([
        'organization',
        'organization_audit',
        'person',
        'person_audit',
      ]);
    });

    it('writes exactly the delta of a field, a unique constraint and a relation', async () => {
      await apply((await generateSchemaMigration(schema, opened.db)).text, 'first');
      const delta = await generateSchemaMigration(schemaV2, opened.db);
      expect(delta).toMatchObject({ empty: false, warnings: [], up: DELTA_UP, down: DELTA_DOWN });
      expect(await generateSchemaMigration(schemaV2, opened.db)).toEqual(delta); // deterministic

      expect(await apply(delta.text, 'phone_and_mentor')).toEqual(['phone_and_mentor']);
      expect((await generateSchemaMigration(schemaV2, opened.db)).empty).toBe(true);
      expect(await introspectSchema(opened.db)).toEqual(await ensured(schemaV2));

      // The down part takes it back to the first migration's schema.
      await new Migrator({ database: opened.db, directory: dir }).down();
      expect(await introspectSchema(opened.db)).toEqual(await ensured(schema));
    });

    // PGlite reads its catalogue slowly (wasm, several instances a test): the first migration
    // and a delta run on it; the remaining cases read the same catalogue on the servers.
    const servers = backend.name === 'PGlite' ? it.skip : it;

    servers('writes destructive changes commented out, unless allowed', async () => {
      await apply((await generateSchemaMigration(schemaV2, opened.db)).text, 'v2');
      const safe = await generateSchemaMigration(schemaV3, opened.db);
      expect(safe.up).toBe(DROP_PHONE);
      expect(safe.warnings).toEqual([
        'destructive: person loses the unique index person_phone_key',
        'destructive: person.phone is not in the registry: dropping it deletes its values',
        'destructive: person_audit.phone is not in the registry: dropping it deletes its values',
      ]);
      expect(safe.text).toContain('-- It has warnings: search for WARNING and NOTE.');
      // Applied as it is, it changes nothing: the column stays.
      await apply(safe.text, 'v3_safe');
      expect((await introspectSchema(opened.db)).tables[2]?.columns.map((c) => c.name)).toContain(
        'phone',
      );

      const allowed = await generateSchemaMigration(schemaV3, opened.db, {
        allowDestructive: true,
      });
      expect(allowed.warnings).toEqual(safe.warnings);
      expect(allowed.up).toBe(DROP_PHONE.replace(/^-- (?!WARNING)/gm, ''));
      expect(allowed.down).toBe(
        [
          '-- NOTE: the values of person_audit.phone are not restored',
          'ALTER TABLE "person_audit" ADD COLUMN "phone" text;',
          '',
          '-- NOTE: the values of person.phone are not restored',
          'ALTER TABLE "person" ADD COLUMN "phone" text;',
          '',
          'CREATE UNIQUE INDEX person_phone_key ON person USING btree (phone) WHERE active;',
        ].join('\n'),
      );
      await apply(allowed.text, 'v3');
      expect((await generateSchemaMigration(schemaV3, opened.db)).empty).toBe(true);
      expect(await introspectSchema(opened.db)).toEqual(await ensured(schemaV3));
    });

    servers(
      'drops a model no longer registered when allowed, and its down part restores the tables',
      async () => {
        await apply((await generateSchemaMigration(schemaV2, opened.db)).text, 'v2');
        const onlyOrganizations = new SchemaRegistry([Organization]);
        const m = await generateSchemaMigration(onlyOrganizations, opened.db, {
          allowDestructive: true,
        });
        expect(m.up.split('\n\n').map((s) => s.split('\n')[1])).toEqual([
          'ALTER TABLE "person" DROP CONSTRAINT "person_mentor_id_fkey";',
          'ALTER TABLE "person" DROP CONSTRAINT "person_organization_id_fkey";',
          'DROP TABLE "person";',
          'DROP TABLE "person_audit";',
        ]);
        expect(m.warnings).toContain(
          'destructive: the table person is not in the registry: dropping it deletes its rows',
        );
        await apply(m.text, 'drop_people');
        expect(await introspectSchema(opened.db)).toEqual(await ensured(onlyOrganizations));
        await new Migrator({ database: opened.db, directory: dir }).down();
        expect(await introspectSchema(opened.db)).toEqual(await ensured(schemaV2));
      },
    );

    servers(
      'tells widening from narrowing type changes, and NOT NULL added from dropped',
      async () => {
        await opened.db.execute(
          'CREATE TABLE gadget (entity_id uuid PRIMARY KEY, code integer NOT NULL, weight numeric, label text NOT NULL, note text, old text)',
        );
        const Gadget = model('gadget', {
          code: z.int(), // bigint: wider than integer
          weight: z.int32(), // integer: narrower than numeric
          label: z.string().optional(), // NOT NULL dropped
          note: z.string(), // NOT NULL added
        });
        const m = await generateSchemaMigration(new SchemaRegistry([Gadget]), opened.db);
        expect(m.up.split('\n\n')).toEqual([
          'ALTER TABLE "gadget" ALTER COLUMN "code" TYPE bigint USING "code"::bigint;',
          '-- WARNING: destructive: gadget.weight changes from numeric to integer: values may not fit\n-- ALTER TABLE "gadget" ALTER COLUMN "weight" TYPE integer USING "weight"::integer;',
          '-- WARNING: destructive: gadget.weight becomes NOT NULL: fails while a row holds NULL there\n-- ALTER TABLE "gadget" ALTER COLUMN "weight" SET NOT NULL;',
          'ALTER TABLE "gadget" ALTER COLUMN "label" DROP NOT NULL;',
          '-- WARNING: destructive: gadget.note becomes NOT NULL: fails while a row holds NULL there\n-- ALTER TABLE "gadget" ALTER COLUMN "note" SET NOT NULL;',
          '-- WARNING: destructive: gadget.old is not in the registry: dropping it deletes its values\n-- ALTER TABLE "gadget" DROP COLUMN "old";',
        ]);
        expect(m.down.split('\n\n')).toEqual([
          '-- NOTE: the values of gadget.old are not restored\n-- ALTER TABLE "gadget" ADD COLUMN "old" text;',
          '-- ALTER TABLE "gadget" ALTER COLUMN "note" DROP NOT NULL;',
          'ALTER TABLE "gadget" ALTER COLUMN "label" SET NOT NULL;',
          '-- ALTER TABLE "gadget" ALTER COLUMN "weight" DROP NOT NULL;',
          '-- ALTER TABLE "gadget" ALTER COLUMN "weight" TYPE numeric USING "weight"::numeric;',
          'ALTER TABLE "gadget" ALTER COLUMN "code" TYPE integer USING "code"::integer;',
        ]);
        expect(m.warnings).toHaveLength(4);
        await apply(m.text, 'gadget');
        const gadget = (await introspectSchema(opened.db)).tables[0];
        expect(
          gadget?.columns.map((c) => `${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}`),
        ).toEqual([
          'entity_id uuid NOT NULL',
          'code bigint NOT NULL',
          'weight numeric',
          'label text',
          'note text',
          'old text',
        ]);
      },
    );

    servers(
      'leaves out the migrations table; adds an index of a table the registry lists',
      async () => {
        await opened.db.execute('CREATE TABLE libretto_migrations (id text PRIMARY KEY)');
        await schema.ensureSchema(opened.db);
        await opened.db.execute('DROP INDEX person_email_key');
        const m = await generateSchemaMigration(schema, opened.db);
        expect(m.up).toBe(
          'CREATE UNIQUE INDEX "person_email_key" ON "person" ("email") WHERE "active";',
        );
        expect((await introspectSchema(opened.db)).tables.map((t) => t.name)).not.toContain(
          'libretto_migrations',
        );
      },
    );
  },
  120_000, // several PGlite instances a test: slow to start on a busy machine
);

describe('generateSchemaMigration input', () => {
  it('says which argument is wrong', async () => {
    const db = {} as Database;
    await expect(generateSchemaMigration({} as SchemaRegistry, db)).rejects.toThrow(
      /^generateSchemaMigration: registry must be a SchemaRegistry$/,
    );
    await expect(generateSchemaMigration(schema, db)).rejects.toThrow(
      /^generateSchemaMigration: db must be a Database$/,
    );
    const fake = { fetch: async () => [] } as unknown as Database;
    await expect(
      generateSchemaMigration(schema, fake, { allowDestructve: true } as never),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/^generateSchemaMigration: allowDestructve unknown option/),
    });
  });
});
