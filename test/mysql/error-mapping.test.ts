// Each MySQL error number the mapping names, caused by a real statement on MariaDB: the
// Libretto error, its code, the driver error as `cause`, and no value in message or logs.
import {
  AlreadyExistsError,
  ConflictError,
  DeadlineExceededError,
  RelatedResourceNotFoundError,
  ValidationError,
} from 'libretto';
import { MysqlPool } from 'libretto/mysql';
import { Database, sql } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { failure } from '../failure.js';
import { mysqlAvailable, openMysql } from './server.js';

const available = await mysqlAvailable();
const SECRET = 'secret-value-7731';

describe.runIf(available)('MySQL error mapping', () => {
  let opened: Awaited<ReturnType<typeof openMysql>>;
  let db: Database;
  beforeAll(async () => {
    opened = await openMysql();
    db = opened.db;
    await db.execute(`CREATE TABLE person (id int PRIMARY KEY, name varchar(10) NOT NULL,
      email varchar(100), age int, tiny tinyint, born date,
      CONSTRAINT person_email UNIQUE (email), CONSTRAINT adult CHECK (age >= 18))`);
    await db.execute(`CREATE TABLE pet (id int PRIMARY KEY, owner int NOT NULL,
      CONSTRAINT pet_owner FOREIGN KEY (owner) REFERENCES person (id))`);
    await db.execute(sql`INSERT INTO person (id, name, email) VALUES (${1}, ${'a'}, ${SECRET})`);
    await db.execute(sql`INSERT INTO pet (id, owner) VALUES (${1}, ${1})`);
  });
  afterAll(() => opened?.close());

  /** The error of `query`, checked free of the secret in its message, JSON and log line. */
  const fails = async (query: ReturnType<typeof sql>) => {
    const error = await failure(db.execute(query));
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
    const capture = capturedLogger();
    capture.logger.error({ err: error }, 'failed');
    expect(capture.text()).not.toContain(SECRET);
    return error as unknown as Error & { code: string; cause: { errno: number } };
  };

  it('1062 duplicate key → AlreadyExistsError naming the key', async () => {
    const error = await fails(
      sql`INSERT INTO person (id, name, email) VALUES (${2}, ${'b'}, ${SECRET})`,
    );
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toMatchObject({ code: 'DB_UNIQUE_VIOLATION' });
    expect(error.message).toBe('INSERT person: duplicate key violates person_email');
    expect(error.cause.errno).toBe(1062);
  });

  it('1452 and 1451 foreign keys → RelatedResourceNotFoundError naming the constraint', async () => {
    const missing = await fails(sql`INSERT INTO pet (id, owner) VALUES (${2}, ${99})`);
    expect(missing).toBeInstanceOf(RelatedResourceNotFoundError);
    expect(missing.message).toBe('INSERT pet: a related row does not exist (pet_owner)');
    expect(missing.cause.errno).toBe(1452);
    const referenced = await fails(sql`DELETE FROM person WHERE id = ${1}`);
    expect(referenced).toBeInstanceOf(RelatedResourceNotFoundError);
    expect(referenced).toMatchObject({ code: 'DB_FOREIGN_KEY_VIOLATION' });
    expect(referenced.cause.errno).toBe(1451);
  });

  it('1048 null, 4025/3819 check, 1366 bad value, 1406 too long, 1264 out of range → ValidationError', async () => {
    const nulled = await fails(sql`INSERT INTO person (id, name) VALUES (${3}, ${null})`);
    expect(nulled).toBeInstanceOf(ValidationError);
    expect(nulled.message).toBe('INSERT person: name must not be null');
    const check = await fails(sql`INSERT INTO person (id, name, age) VALUES (${3}, ${'c'}, ${5})`);
    expect(check).toBeInstanceOf(ValidationError);
    expect(check).toMatchObject({ code: 'DB_CHECK_VIOLATION' });
    expect([3819, 4025]).toContain(check.cause.errno);
    const bad = await fails(
      sql`INSERT INTO person (id, name, age) VALUES (${3}, ${'c'}, ${SECRET})`,
    );
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.message).toBe('INSERT person: invalid data for age (errno 1366)');
    const long = await fails(sql`INSERT INTO person (id, name) VALUES (${3}, ${`${SECRET}-long`})`);
    expect(long).toMatchObject({ code: 'DB_INVALID_DATA' });
    expect(long.cause.errno).toBe(1406);
    const range = await fails(
      sql`INSERT INTO person (id, name, tiny) VALUES (${3}, ${'c'}, ${1000})`,
    );
    expect(range).toBeInstanceOf(ValidationError);
    expect(range.cause.errno).toBe(1264);
    const date = await fails(
      sql`INSERT INTO person (id, name, born) VALUES (${3}, ${'c'}, ${SECRET})`,
    );
    expect(date).toBeInstanceOf(ValidationError);
  });

  it('1969 max_statement_time → DeadlineExceededError', async () => {
    const pool = await MysqlPool.create({ connectionString: opened.dsn, statementTimeoutMs: 100 });
    const limited = new Database(pool);
    const error = await failure(limited.fetchVal('SELECT SLEEP(2) FROM person'));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ code: 'DB_STATEMENT_TIMEOUT' });
    expect(await limited.fetchVal('SELECT 5')).toBe(5);
    await limited.close();
  });

  it('1205 lock wait timeout → ConflictError after the retries', async () => {
    const pool = await MysqlPool.create({
      connectionString: opened.dsn,
      onConnect: (c) => c.query('SET SESSION innodb_lock_wait_timeout = 1', []).then(() => {}),
    });
    const waiting = new Database(pool);
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const holder = db.transaction(async (tx) => {
      await tx.execute(sql`UPDATE person SET name = ${'held'} WHERE id = ${1}`);
      locked();
      await new Promise<void>((r) => {
        release = r;
      });
    });
    await isLocked;
    const error = await failure(
      waiting.transaction(
        (tx) => tx.execute(sql`UPDATE person SET name = ${'x'} WHERE id = ${1}`),
        {
          retries: 1,
        },
      ),
    );
    release();
    await holder;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'DB_LOCK_TIMEOUT' });
    expect(error.message).toMatch(/lock wait timeout exceeded \(after 2 attempts\)/);
    await waiting.close();
  });

  it('1213 deadlock → ConflictError after the retries', async () => {
    let both!: () => void;
    let n = 0;
    const ready = new Promise<void>((r) => {
      both = r;
    });
    const cross = (first: number, second: number) =>
      db.transaction(
        async (tx) => {
          await tx.execute(sql`UPDATE person SET age = ${20} WHERE id = ${first}`);
          if (++n === 2) both();
          await ready;
          await tx.execute(sql`UPDATE person SET age = ${21} WHERE id = ${second}`);
        },
        { retries: 0 },
      );
    await db.execute(sql`INSERT INTO person (id, name) VALUES (${10}, ${'d'})`);
    const results = await Promise.allSettled([cross(1, 10), cross(10, 1)]);
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toBeInstanceOf(ConflictError);
    expect(failed[0]?.reason).toMatchObject({ code: 'DB_DEADLOCK' });
  });
});
