import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/migrations/sql-script.js';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  it('splits at the semicolons that end statements, with the line each starts on', () => {
    const sql = 'CREATE TABLE a (x int);\n\n  CREATE INDEX CONCURRENTLY a_x ON a (x);\nSELECT 1';
    expect(splitStatements(sql)).toEqual([
      { text: 'CREATE TABLE a (x int)', line: 1 },
      { text: 'CREATE INDEX CONCURRENTLY a_x ON a (x)', line: 3 },
      { text: 'SELECT 1', line: 4 },
    ]);
  });

  it('keeps semicolons inside strings, identifiers, dollar quotes and comments', () => {
    const sql = [
      "INSERT INTO t VALUES ('a;b', 'it''s; fine');",
      'SELECT 1 AS "odd;name";',
      "SELECT E'back\\'slash;';",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; SELECT 2; $body$ LANGUAGE sql;',
      'DO $$ BEGIN PERFORM 1; END $$;',
      '-- a comment; not a statement',
      '/* block; /* nested; */ still; */ SELECT 3;',
    ].join('\n');
    expect(texts(sql)).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s; fine')",
      'SELECT 1 AS "odd;name"',
      "SELECT E'back\\'slash;'",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; SELECT 2; $body$ LANGUAGE sql',
      'DO $$ BEGIN PERFORM 1; END $$',
      '-- a comment; not a statement\n/* block; /* nested; */ still; */ SELECT 3',
    ]);
  });

  it('drops empty statements and pieces that are only comments', () => {
    expect(texts(';;\n-- only a comment\n;  /* and this */ ;')).toEqual([]);
    expect(texts('SELECT 1;;')).toEqual(['SELECT 1']);
  });

  it('a $1 parameter or a $ inside a word is not a dollar quote', () => {
    expect(texts('SELECT a$b FROM t; SELECT $1;')).toEqual(['SELECT a$b FROM t', 'SELECT $1']);
  });
});

describe('splitStatements on routine bodies', () => {
  it('keeps a BEGIN ATOMIC body whole, CASE … END inside it too', () => {
    const sql = [
      'CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql',
      'BEGIN ATOMIC',
      '  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;',
      '  SELECT 2;',
      'END;',
      'SELECT CASE WHEN true THEN 1 END;',
      'BEGIN;',
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      {
        text: 'CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND',
        line: 1,
      },
      { text: 'SELECT CASE WHEN true THEN 1 END', line: 6 },
      { text: 'BEGIN', line: 7 },
    ]);
  });
});

describe('splitStatements on MySQL text', () => {
  const mysql = (sql: string) => splitStatements(sql, 'mysql').map((s) => s.text);

  it('keeps semicolons inside strings with both escapes, backquoted names and comments', () => {
    const sql = [
      "INSERT INTO t VALUES ('a;b', 'it''s; fine', 'it\\'s; fine too', \"dq;\\\"x\");",
      'SELECT 1 AS `odd;name``s`;',
      '# a hash comment; not a statement',
      '-- a dash comment; not one either',
      'SELECT 5--1;',
      '/* block; */ SELECT 3;',
    ].join('\n');
    expect(mysql(sql)).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s; fine', 'it\\'s; fine too', \"dq;\\\"x\")",
      'SELECT 1 AS `odd;name``s`',
      '# a hash comment; not a statement\n-- a dash comment; not one either\nSELECT 5--1',
      '/* block; */ SELECT 3',
    ]);
  });

  it('gives each statement its line', () => {
    expect(
      splitStatements('CREATE TABLE a (x int);\n# c\nINSERT INTO a VALUES (1);', 'mysql'),
    ).toEqual([
      { text: 'CREATE TABLE a (x int)', line: 1 },
      { text: '# c\nINSERT INTO a VALUES (1)', line: 2 },
    ]);
  });

  it('keeps a routine body whole: BEGIN … END with END IF, END LOOP and CASE inside', () => {
    const body = [
      'CREATE DEFINER = CURRENT_USER PROCEDURE p(x int)',
      'BEGIN',
      '  DECLARE i int DEFAULT 0;',
      '  IF x > 0 THEN SET i = 1; END IF;',
      '  l: LOOP LEAVE l; END LOOP l;',
      '  CASE x WHEN 1 THEN SET i = 2; ELSE SET i = 3; END CASE;',
      '  SELECT CASE WHEN i > 1 THEN 1 ELSE 0 END;',
      'END',
    ].join('\n');
    const trigger =
      'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END';
    const block = 'BEGIN NOT ATOMIC SELECT 1; SELECT 2; END';
    expect(mysql(`${body};\n${trigger};\n${block};\nBEGIN;\nCOMMIT;`)).toEqual([
      body,
      trigger,
      block,
      'BEGIN',
      'COMMIT',
    ]);
  });

  it('a # is no comment on PostgreSQL (it is an operator there)', () => {
    expect(texts('SELECT 1 # 2; SELECT 3;')).toEqual(['SELECT 1 # 2', 'SELECT 3']);
  });
});
