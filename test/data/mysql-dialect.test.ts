// What the MySQL dialect does where MySQL and PostgreSQL differ, as a user of a repository on
// MariaDB sees it: the column types, an upsert that never writes over another row, text
// compared as PostgreSQL compares it, NULLs sorted as there, LIKE taking `!` literally.
import { AlreadyExistsError } from 'libretto';
import {
  model,
  mysqlDialect,
  postgresDialect,
  repository,
  SchemaRegistry,
  tableDdl,
} from 'libretto/data';
import type { DatabaseAdapter } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mysqlAvailable, openMysql } from '../mysql/server.js';

const Account = model(
  'account',
  {
    handle: z.string(),
    bio: z.string(),
    rank: z.int32().nullable(),
    settings: z.unknown().nullable(),
    active: z.boolean(),
  },
  { unique: ['handle'], softDelete: true, timestamps: true },
);

describe('the MySQL dialect, as DDL', () => {
  it('writes readable ids, UTC datetimes, JSON, and VARCHAR for indexed text', () => {
    const [table] = tableDdl(Account, mysqlDialect);
    expect(table).toContain(
      '`entity_id` CHAR(36) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL',
    );
    expect(table).toContain('`handle` VARCHAR(255) NOT NULL');
    expect(table).toContain('`bio` TEXT NOT NULL');
    expect(table).toContain('`created_at` DATETIME(6) NOT NULL');
    expect(table).toContain('`settings` JSON');
    expect(table).toContain('`active` BOOLEAN NOT NULL');
    // Unique among live rows: a generated column NULL for deleted rows ends the unique index.
    expect(table).toContain('`_live` TINYINT AS (IF(`deleted_at` IS NULL, 1, NULL)) VIRTUAL');
    expect(table).toMatch(/COLLATE=utf8mb4_bin$/);
    expect(tableDdl(Account, mysqlDialect)[1]).toBe(
      'CREATE UNIQUE INDEX `account_handle_key` ON `account` (`handle`, `_live`)',
    );
  });

  it('is the default only for a database that says it runs on MySQL', () => {
    expect(mysqlDialect.name).toBe('mysql');
    expect(tableDdl(Account)).toEqual(tableDdl(Account, postgresDialect));
  });
});

const available = await mysqlAvailable();

describe.runIf(available)('the MySQL dialect on MariaDB', () => {
  let opened: { db: DatabaseAdapter; close(): Promise<void> };
  beforeAll(async () => {
    opened = await openMysql();
    await new SchemaRegistry([Account]).ensureSchema(opened.db);
  });
  afterAll(() => opened?.close());

  const make = (handle: string, rank: number | null = null) =>
    Account.create({ handle, bio: 'x', rank, settings: null, active: true });

  it('an upsert clashing with another row on a unique field fails and leaves that row alone', async () => {
    const accounts = repository(Account, opened.db);
    const first = await accounts.save({ ...make('ada'), bio: 'first' });
    // ON DUPLICATE KEY UPDATE fires on any unique index: this must not become an update of `first`.
    await expect(accounts.save({ ...make('ada'), bio: 'second' })).rejects.toThrow(
      AlreadyExistsError,
    );
    expect(await accounts.get(first.entityId)).toEqual(first);
    expect(await accounts.count({ handle: 'ada' })).toBe(1);
    // Its own key: an update, `createdAt` as stored.
    const again = await accounts.save({ ...first, bio: 'changed', createdAt: new Date(0) });
    expect(again.createdAt).toEqual(first.createdAt);
    expect((await accounts.get(first.entityId)).bio).toBe('changed');
    await accounts.delete(again);
    expect((await accounts.save(make('ada'))).handle).toBe('ada');
  });

  it('compares text with case as PostgreSQL does; ilike ignores case; `!` `%` `_` are literal', async () => {
    const accounts = repository(Account, opened.db);
    await accounts.bulkCreate([make('Case'), make('50%_off!'), make('50 off')]);
    expect((await accounts.getMany({ where: { handle: 'case' } })).length).toBe(0);
    expect((await accounts.getMany({ where: { handle: { ilike: 'CASE' } } })).length).toBe(1);
    const like = async (text: string) =>
      (await accounts.getMany({ where: { handle: { contains: text } } })).map((a) => a.handle);
    expect(await like('%_off!')).toEqual(['50%_off!']);
    expect(await like('!')).toEqual(['50%_off!']);
    expect(await like('0_')).toEqual([]);
  });

  it('sorts NULLs last ascending and first descending, as PostgreSQL does', async () => {
    const accounts = repository(Account, opened.db);
    await accounts.bulkCreate([make('r1', 1), make('rn', null), make('r2', 2)]);
    const where = { handle: { in: ['r1', 'rn', 'r2'] } };
    const order = async (sort: readonly string[]) =>
      (await accounts.getMany({ where, sort: sort as never })).map((a) => a.handle);
    expect(await order(['rank'])).toEqual(['r1', 'r2', 'rn']);
    expect(await order(['-rank'])).toEqual(['rn', 'r2', 'r1']);
  });

  it('reads booleans and JSON back as PostgreSQL gives them, a JSON null as null', async () => {
    const accounts = repository(Account, opened.db);
    const values = [null, 'text', 0, [1, { a: 'b' }], { nested: { list: [] } }];
    const saved = await accounts.bulkCreate(
      values.map((settings, i) => ({ ...make(`json${i}`), settings, active: i % 2 === 0 })),
    );
    for (const [i, s] of saved.entries()) {
      const read = await accounts.get(s.entityId);
      expect(read.settings).toEqual(values[i]);
      expect(read.active).toBe(i % 2 === 0);
    }
    expect(
      await opened.db.fetchVal(
        'SELECT COUNT(*) FROM account WHERE settings IS NULL AND handle = ?',
        ['json0'],
      ),
    ).toBe('1'); // COUNT is a BIGINT: a string, as pg gives bigints
  });
});
