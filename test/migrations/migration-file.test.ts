import { describe, expect, it } from 'vitest';
import { compareIds, idAt } from '../../src/migrations/migration-directory.js';
import { checksumOf, parseSqlMigration } from '../../src/migrations/migration-file.js';

const parse = (text: string) => parseSqlMigration('m.sql', text);
const failure = (text: string) => {
  try {
    parse(text);
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('parsed');
};

describe('parseSqlMigration', () => {
  it('reads the up and down parts and the lines they start on', () => {
    const m = parse(
      '-- people\n-- libretto:up\nCREATE TABLE p (x int);\n-- libretto:down\nDROP TABLE p;\n',
    );
    expect(m).toEqual({
      up: { sql: 'CREATE TABLE p (x int);', line: 3 },
      down: { sql: 'DROP TABLE p;\n', line: 5 },
      transaction: true,
    });
  });

  it('a file without markers is all up, with no down part', () => {
    expect(parse('CREATE TABLE p (x int);')).toEqual({
      up: { sql: 'CREATE TABLE p (x int);', line: 1 },
      down: undefined,
      transaction: true,
    });
  });

  it('no-transaction before up runs it outside a transaction', () => {
    const m = parse(
      '-- libretto:no-transaction\n-- libretto:up\nCREATE INDEX CONCURRENTLY i ON p (x);',
    );
    expect(m.transaction).toBe(false);
  });

  it('refuses what it cannot read, naming the file and the line', () => {
    expect(failure('-- libretto:upp\nSELECT 1').message).toBe(
      'Migration file m.sql: unknown marker `-- libretto:upp` at line 1 (up, down, no-transaction)',
    );
    expect(failure('SELECT 1;\n-- libretto:up\nSELECT 2').message).toBe(
      'Migration file m.sql: SQL at line 1 before `-- libretto:up`',
    );
    expect(failure('-- libretto:up\nSELECT 1\n-- libretto:up\n').message).toBe(
      'Migration file m.sql: a second `-- libretto:up` at line 3',
    );
    expect(failure('-- libretto:down\nSELECT 1\n-- libretto:up\n').message).toBe(
      'Migration file m.sql: `-- libretto:down` at line 1 comes before `-- libretto:up`',
    );
    expect(failure('-- libretto:up\nSELECT 1\n-- libretto:no-transaction\n').message).toBe(
      'Migration file m.sql: `-- libretto:no-transaction` at line 3 must come before `-- libretto:up`',
    );
    expect(failure('-- libretto:down\nDROP TABLE p').code).toBe('MIGRATION_FILE_INVALID');
  });
});

describe('checksumOf', () => {
  it('ignores line endings and a byte-order mark, nothing else', () => {
    const unix = '-- libretto:up\nSELECT 1;\n';
    expect(checksumOf('-- libretto:up\r\nSELECT 1;\r\n')).toBe(checksumOf(unix));
    expect(checksumOf(`\uFEFF${unix}`)).toBe(checksumOf(unix));
    expect(checksumOf('-- libretto:up\nSELECT 2;\n')).not.toBe(checksumOf(unix));
    expect(checksumOf('-- libretto:up\nSELECT 1; \n')).not.toBe(checksumOf(unix));
  });
});

describe('ids', () => {
  it('compare as numbers of any length', () => {
    const ids = ['10', '9', '20261202073000', '0011'];
    expect(ids.sort(compareIds)).toEqual(['9', '10', '0011', '20261202073000']);
  });

  it('of a date: its UTC time, to the second', () => {
    expect(idAt(new Date('2026-12-02T07:30:05.123Z'))).toBe('20261202073005');
  });
});
