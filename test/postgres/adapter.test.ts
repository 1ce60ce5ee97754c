import {
  AlreadyExistsError,
  ConflictError,
  RelatedResourceNotFoundError,
  UsageError,
  ValidationError,
} from 'libretto';
import {
  type Database,
  type DatabaseAdapter,
  sql,
  Transactional,
  transactional,
} from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { type Backend, backends, type Opened } from './backends.js';

// Engine-neutral: the sql tag (rendered `$n` or `?`), portable SQL, and `ph(n)` where a
// statement is text. Where only the way of looking differs (the isolation in effect, the
// driver's error code, text with two placeholders), a case branches on `mysql`; PostgreSQL-only
// features (LISTEN, SQLSTATE texts, cursors) are tested in their own PostgreSQL files.
const list: Backend[] = await backends({ mysql: true });
afterAll(async () => {
  for (const b of list) await b.close();
});

describe.each(list.map((b) => [b.name, b] as const))('adapter on %s', (_name, backend) => {
  let opened: Opened;
  let db: Database;
  const mysql = backend.engine === 'mysql';
  /** The n-th placeholder in statement text (`$n`, or `?` on MySQL). */
  const ph = (n: number) => (mysql ? '?' : `$${n}`);
  /** A count (PostgreSQL's bigint and MySQL's both come back as text). */
  const count = async (query: Parameters<Database['fetchVal']>[0]) =>
    Number(await db.fetchVal(query));

  beforeAll(async () => {
    opened = await backend.open();
    db = opened.db;
    await db.execute(`
      CREATE TABLE person (id int PRIMARY KEY, name varchar(100) NOT NULL,
                           email varchar(100) UNIQUE, age int CHECK (age >= 0))`);
    await db.execute(`
      CREATE TABLE pet (id int PRIMARY KEY, owner int NOT NULL, name varchar(100),
                        FOREIGN KEY (owner) REFERENCES person (id))`);
  });
  afterAll(() => opened?.close());

  it('execute returns affected rows; fetch, fetchOne, fetchVal read them', async () => {
    expect(
      await db.execute(
        "INSERT INTO person (id, name, email, age) VALUES (1, 'Ada', 'ada@x', 36), (2, 'Alan', 'alan@x', 41)",
      ),
    ).toBe(2);
    expect(await db.fetch('SELECT id, name FROM person ORDER BY id')).toEqual([
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Alan' },
    ]);
    expect(await db.fetchOne(`SELECT name FROM person WHERE id = ${ph(1)}`, [2])).toEqual({
      name: 'Alan',
    });
    expect(await db.fetchOne(sql`SELECT name FROM person WHERE id = ${99}`)).toBeUndefined();
    expect(await count('SELECT count(*) FROM person')).toBe(2);
    expect(await db.fetchVal('SELECT name FROM person WHERE id = 99')).toBeUndefined();
    expect(await db.execute('UPDATE person SET age = age + 1')).toBe(2);
  });

  it('executeMany runs every set of values in one transaction', async () => {
    const insert = `INSERT INTO person (id, name) VALUES (${ph(1)}, ${ph(2)})`;
    const n = await db.executeMany(insert, [
      [10, 'a'],
      [11, 'b'],
      [12, 'c'],
    ]);
    expect(n).toBe(3);
    await expect(
      db.executeMany(insert, [
        [13, 'd'],
        [13, 'dup'],
      ]),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await count('SELECT count(*) FROM person WHERE id = 13')).toBe(0);
    await db.execute('DELETE FROM person WHERE id >= 10');
  });

  it('the sql tag keeps every value a parameter; identifiers only through the helper', async () => {
    const hostile = "x'); DROP TABLE person; --";
    await db.execute(sql`INSERT INTO person (id, name) VALUES (${20}, ${hostile})`);
    expect(await db.fetchVal(sql`SELECT name FROM person WHERE id = ${20}`)).toBe(hostile);
    const table = 'person';
    const where = sql`id = ${20}`;
    expect(await count(sql`SELECT count(*) FROM ${sql.identifier(table)} WHERE ${where}`)).toBe(1);
    expect(() => sql.identifier('person; DROP TABLE pet')).toThrow(UsageError);
    expect(() => sql.identifier('"person"')).toThrow(UsageError);
    await expect(db.fetch(sql`SELECT ${1}`, [2])).rejects.toMatchObject({
      code: 'VALUES_BESIDE_SQL_STATEMENT',
    });
    expect(
      await count(sql`SELECT count(*) FROM person WHERE id IN (${sql.join([1, 2, 20])})`),
    ).toBe(3);
    await db.execute(sql`DELETE FROM person WHERE id = ${20}`);
  });

  it('streams a large result in batches and stops cleanly when the consumer does', async () => {
    let n = 0;
    let sum = 0;
    // 1..n from a table of digits: portable (recursive CTEs stop at 1000 rows on MariaDB).
    await db.execute('CREATE TABLE digit (d int PRIMARY KEY)');
    await db.execute('INSERT INTO digit VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)');
    const series = (n: number) =>
      sql`SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1 AS g
          FROM digit a, digit b, digit c, digit e, digit f
          WHERE a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d < ${n} ORDER BY g`;
    for await (const row of db.stream<{ g: number }>(series(5000), undefined, { batchSize: 700 })) {
      n++;
      sum += Number(row.g); // an expression over int is BIGINT on MySQL: text
    }
    expect([n, sum]).toEqual([5000, (5000 * 5001) / 2]);
    const firsts: number[] = [];
    for await (const row of db.stream<{ g: number }>(series(100_000))) {
      firsts.push(Number(row.g));
      if (firsts.length === 3) break;
    }
    expect(firsts).toEqual([1, 2, 3]);
    // The connection is usable afterwards (the cursor's transaction ended).
    expect(await db.fetchVal('SELECT 1')).toBe(1);
    // Inside a transaction, the stream reads what the transaction wrote.
    const inTx = await db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO person (id, name) VALUES (${25}, ${'streamed'})`);
      const names: string[] = [];
      for await (const row of tx.stream<{ name: string }>(
        sql`SELECT name FROM person WHERE id = ${25}`,
      ))
        names.push(row.name);
      return names;
    });
    expect(inTx).toEqual(['streamed']);
    await db.execute(sql`DELETE FROM person WHERE id = ${25}`);
  });

  it('maps SQLSTATEs to Libretto errors, keeping the driver error and no values', async () => {
    const secret = 'very-secret-value@example.com';
    await db.execute(sql`INSERT INTO person (id, name, email) VALUES (${30}, ${'x'}, ${secret})`);
    const dup = await db
      .execute(sql`INSERT INTO person (id, name, email) VALUES (${31}, ${'y'}, ${secret})`)
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(AlreadyExistsError);
    expect((dup as Error).message).toContain('INSERT person');
    expect((dup as Error).message).not.toContain(secret);
    expect(JSON.stringify(dup)).not.toContain(secret);
    const driverCode = mysql ? 1062 : '23505';
    const cause = (dup as Error).cause as { code: string; errno: number };
    expect(mysql ? cause.errno : cause.code).toBe(driverCode);
    const capture = capturedLogger();
    capture.logger.error({ err: dup }, 'insert failed');
    expect(capture.text()).toContain(String(driverCode));
    expect(capture.text()).not.toContain(secret);
    await expect(db.execute('INSERT INTO pet (id, owner) VALUES (1, 999)')).rejects.toBeInstanceOf(
      RelatedResourceNotFoundError,
    );
    await expect(db.execute('INSERT INTO person (id) VALUES (40)')).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      db.execute("INSERT INTO person (id, name, age) VALUES (41, 'n', -1)"),
    ).rejects.toBeInstanceOf(ValidationError);
    const bad = await db
      .execute(
        sql`INSERT INTO person (id, name, age) VALUES (${42}, ${'n'}, ${'not-a-number-123'})`,
      )
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as Error).message).not.toContain('not-a-number-123');
    await db.execute('DELETE FROM person WHERE id = 30');
  });

  describe('misuse is refused clearly and leaves the database usable', () => {
    it('a call with the wrong number of values fails, and the next calls work', async () => {
      const twoValues = mysql ? 'SELECT ? + ?' : 'SELECT $1::int + $2::int';
      await expect(db.fetch(twoValues, [1])).rejects.toThrow();
      expect(await db.fetchVal('SELECT 1')).toBe(1);
      expect(await db.transaction((tx) => tx.fetchVal('SELECT 2'))).toBe(2);
    });

    it('a failed statement whose error was caught makes commit fail, not silently roll back', async () => {
      const error = await db
        .transaction(async (tx) => {
          await tx.execute("INSERT INTO person (id, name) VALUES (200, 'lost')");
          await tx.execute('INSERT INTO person (id) VALUES (201)').catch(() => undefined);
          return 'looked fine';
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect(error).toMatchObject({ code: 'TRANSACTION_ABORTED' });
      expect((error as Error).cause).toBeInstanceOf(ValidationError);
      expect(await count('SELECT count(*) FROM person WHERE id = 200')).toBe(0);
      // A nested transaction is the way to recover from a failure and go on.
      await db.transaction(async (tx) => {
        await tx.execute("INSERT INTO person (id, name) VALUES (202, 'kept')");
        await tx
          .transaction((inner) => inner.execute('INSERT INTO person (id) VALUES (203)'))
          .catch(() => undefined);
      });
      expect(await db.fetch('SELECT id FROM person WHERE id >= 200 AND id < 210')).toEqual([
        { id: 202 },
      ]);
    });

    it('work that outlives its transaction is refused instead of running on a returned connection', async () => {
      let late!: Promise<unknown>;
      await db.transaction(async () => {
        late = new Promise((resolve) => setTimeout(resolve, 30)).then(() =>
          db.execute("INSERT INTO person (id, name) VALUES (210, 'late')"),
        );
      });
      await expect(late).rejects.toBeInstanceOf(UsageError);
      await expect(late).rejects.toMatchObject({ code: 'TRANSACTION_ENDED' });
      expect(await count('SELECT count(*) FROM person WHERE id = 210')).toBe(0);
    });

    it('concurrent nested transactions in one transaction are refused', async () => {
      const result = await db
        .transaction(async () =>
          Promise.all([
            transactional(async () =>
              db.execute("INSERT INTO person (id, name) VALUES (220, 'a')"),
            ),
            transactional(async () =>
              db.execute("INSERT INTO person (id, name) VALUES (221, 'b')"),
            ),
          ]),
        )
        .catch((e: unknown) => e);
      expect(result).toBeInstanceOf(UsageError);
      expect(result).toMatchObject({ code: 'CONCURRENT_NESTED_TRANSACTIONS' });
      expect(await db.fetchVal('SELECT 3')).toBe(3);
    });
  });

  describe('transactions', () => {
    it('commit, and roll back on throw', async () => {
      await db.transaction(async (tx) => {
        await tx.execute("INSERT INTO person (id, name) VALUES (50, 'kept')");
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.execute("INSERT INTO person (id, name) VALUES (51, 'lost')");
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.fetch('SELECT id FROM person WHERE id IN (50, 51)')).toEqual([{ id: 50 }]);
    });

    it('ambient: calls inside transactional() join it without passing anything', async () => {
      const insert = (id: number) =>
        db.execute(sql`INSERT INTO person (id, name) VALUES (${id}, ${'amb'})`);
      await expect(
        transactional(
          async () => {
            await insert(60);
            await insert(61);
            throw new Error('undo both');
          },
          { database: db },
        ),
      ).rejects.toThrow('undo both');
      expect(await count('SELECT count(*) FROM person WHERE id IN (60, 61)')).toBe(0);
    });

    it('nested calls use savepoints and roll back only their part', async () => {
      await transactional(
        async () => {
          await db.execute("INSERT INTO person (id, name) VALUES (70, 'outer')");
          await expect(
            transactional(async () => {
              await db.execute("INSERT INTO person (id, name) VALUES (71, 'inner')");
              throw new Error('inner fails');
            }),
          ).rejects.toThrow('inner fails');
          await transactional(async () => {
            await db.execute("INSERT INTO person (id, name) VALUES (72, 'inner ok')");
          });
        },
        { database: db },
      );
      expect(
        await db.fetch('SELECT id FROM person WHERE id >= 70 AND id < 80 ORDER BY id'),
      ).toEqual([{ id: 70 }, { id: 72 }]);
    });

    it('honours isolation level and read-only', async () => {
      if (mysql) {
        // A transaction shows in innodb_trx once it touched a table.
        const level = (isolation: 'serializable' | 'repeatable read') =>
          db.transaction(
            async (tx) => {
              await tx.fetch('SELECT id FROM person WHERE id = 0 FOR UPDATE');
              // information_schema.innodb_trx is a cache refreshed when older than 0.1 s.
              await tx.fetch('SELECT SLEEP(0.15)');
              return tx.fetchVal<string>(
                'SELECT trx_isolation_level FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = CONNECTION_ID()',
              );
            },
            { isolation },
          );
        expect(await level('serializable')).toBe('SERIALIZABLE');
        expect(await level('repeatable read')).toBe('REPEATABLE READ');
      } else {
        const show = (tx: DatabaseAdapter) => tx.fetchVal<string>('SHOW transaction_isolation');
        expect(await db.transaction(show, { isolation: 'serializable' })).toBe('serializable');
        expect(await db.transaction(show, { isolation: 'repeatable read' })).toBe(
          'repeatable read',
        );
      }
      await expect(
        db.transaction((tx) => tx.execute("INSERT INTO person (id, name) VALUES (80, 'ro')"), {
          readOnly: true,
        }),
      ).rejects.toThrow(/read-only|READ ONLY/);
      await expect(
        db.transaction(async () => 1, { isolation: 'snapshot' as never }),
      ).rejects.toMatchObject({ name: 'UsageError', code: 'UNKNOWN_ISOLATION_LEVEL' });
    });

    it('the optional @Transactional() decorator wraps a method', async () => {
      const database = db;
      class Signup {
        @Transactional({ database })
        async register(id: number, fail: boolean): Promise<void> {
          await database.execute(sql`INSERT INTO person (id, name) VALUES (${id}, ${'dec'})`);
          if (fail) throw new Error('rejected');
        }
      }
      await new Signup().register(90, false);
      await expect(new Signup().register(91, true)).rejects.toThrow('rejected');
      expect(await db.fetch('SELECT id FROM person WHERE id IN (90, 91)')).toEqual([{ id: 90 }]);
    });

    it('keeps the total under contention: 20 workers, 10 accounts, SERIALIZABLE, retried', async () => {
      await db.execute('CREATE TABLE account (id int PRIMARY KEY, balance int NOT NULL)');
      await db.execute(
        `INSERT INTO account (id, balance) VALUES ${Array.from({ length: 10 }, (_, i) => `(${i + 1}, 100)`).join(', ')}`,
      );
      let attempts = 0;
      let transfers = 0;
      const worker = async (seed: number) => {
        for (let i = 0; i < 8; i++) {
          const from = ((seed * 7 + i * 3) % 10) + 1;
          const to = ((seed * 3 + i * 5 + 1) % 10) + 1;
          if (from === to) continue;
          await transactional(
            async () => {
              attempts++;
              const balance = await db.fetchVal<number>(
                sql`SELECT balance FROM account WHERE id = ${from}`,
              );
              const amount = Math.min(balance ?? 0, 7);
              await db.execute(
                sql`UPDATE account SET balance = balance - ${amount} WHERE id = ${from}`,
              );
              await db.execute(
                sql`UPDATE account SET balance = balance + ${amount} WHERE id = ${to}`,
              );
            },
            { database: db, isolation: 'serializable', retries: 50 },
          );
          transfers++;
        }
      };
      await Promise.all(Array.from({ length: 20 }, (_, seed) => worker(seed)));
      expect(await count('SELECT sum(balance) FROM account')).toBe(1000);
      expect(await count('SELECT min(balance) FROM account')).toBeGreaterThanOrEqual(0);
      console.log(`${backend.name}: ${transfers} transfers in ${attempts} attempts`);
      expect(attempts).toBeGreaterThanOrEqual(transfers);
    });

    it('after the last retry, a serialization failure is a ConflictError', async () => {
      await db.execute('CREATE TABLE oncall (doctor varchar(10), on_duty boolean)');
      await db.execute("INSERT INTO oncall VALUES ('a', true), ('b', true)");
      let bothRead!: () => void;
      let reads = 0;
      const ready = new Promise<void>((r) => {
        bothRead = r;
      });
      // Write skew: each sees two on duty and takes one off; SERIALIZABLE lets one commit.
      const leave = (doctor: string) =>
        db.transaction(
          async (tx) => {
            await tx.fetchVal('SELECT count(*) FROM oncall WHERE on_duty');
            if (++reads === 2) bothRead();
            await Promise.race([ready, new Promise((r) => setTimeout(r, 300))]);
            await tx.execute(sql`UPDATE oncall SET on_duty = false WHERE doctor = ${doctor}`);
          },
          { isolation: 'serializable', retries: 0 },
        );
      const results = await Promise.allSettled([leave('a'), leave('b')]);
      const failed = results.filter((r) => r.status === 'rejected');
      if (backend.name === 'PGlite') {
        // One session: the transactions run one after the other, so both succeed.
        expect(failed).toEqual([]);
      } else {
        expect(failed).toHaveLength(1);
        expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
        expect(String((failed[0] as PromiseRejectedResult).reason.message)).toMatch(
          /after 1 attempts/,
        );
      }
    });

    it('concurrent transactions do not see each other before commit', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const writer = db.transaction(async (tx) => {
        await tx.execute("INSERT INTO person (id, name) VALUES (100, 'pending')");
        await gate;
      });
      // PGlite has one session: the reader waits for the writer instead of running beside it.
      const reader = db.transaction((tx) =>
        tx.fetchVal('SELECT count(*) FROM person WHERE id = 100').then(Number),
      );
      const early = await Promise.race([
        reader,
        new Promise((r) => setTimeout(() => r('waiting'), 200)),
      ]);
      expect(['waiting', 0]).toContain(early);
      release();
      await writer;
      expect(await reader).toBe(early === 'waiting' ? 1 : 0);
    });
  });
});
