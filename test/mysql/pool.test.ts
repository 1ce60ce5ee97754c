// MysqlPool: values typed back as pg types them, prepared statements for repeated
// statements, the pool's limits (uses, pre-ping, init hook), streaming inside a transaction.
import { UsageError } from 'libretto';
import { MysqlPool } from 'libretto/mysql';
import { Database, sql } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogger } from '../core/log-capture.js';
import { failure } from '../failure.js';
import { mysqlAdmin, mysqlAvailable, openMysql } from './server.js';

const available = await mysqlAvailable();

describe.runIf(available)('MysqlPool', () => {
  let opened: Awaited<ReturnType<typeof openMysql>>;
  let db: Database;
  beforeAll(async () => {
    opened = await openMysql();
    db = opened.db;
  });
  afterAll(() => opened?.close());

  const withPool = async <T>(
    options: Parameters<typeof MysqlPool.create>[0],
    use: (db: Database, pool: MysqlPool) => Promise<T>,
  ): Promise<T> => {
    const pool = await MysqlPool.create({ connectionString: opened.dsn, ...options });
    try {
      return await use(new Database(pool), pool);
    } finally {
      await pool.close();
    }
  };

  it('types values back as pg does: Date in UTC, BIGINT and DECIMAL as text, JSON parsed, BOOLEAN as boolean', async () => {
    await db.execute(`CREATE TABLE typed (id bigint PRIMARY KEY, price decimal(10,2), ok boolean,
      doc json, at datetime(3), stamped timestamp(3) NULL, note varchar(20))`);
    const at = new Date('2024-01-02T03:04:05.678Z');
    await db.execute(
      sql`INSERT INTO typed VALUES (${9007199254740993n}, ${'1.50'}, ${true}, ${{ a: [1, 'x'] }}, ${at}, ${at}, ${undefined})`,
    );
    expect(await db.fetchOne('SELECT * FROM typed')).toEqual({
      id: '9007199254740993',
      price: '1.50',
      ok: true,
      doc: { a: [1, 'x'] },
      at,
      stamped: at,
      note: null,
    });
    // The session runs in UTC whatever the server's zone: a literal is read as UTC.
    expect(await db.fetchVal("SELECT CAST('2024-01-02 03:04:05.678' AS DATETIME(3))")).toEqual(at);
    expect(await db.fetchVal('SELECT @@session.time_zone')).toBe('+00:00');
  });

  it('prepares a repeated statement with values once per connection; prepare: false never does', async () => {
    const counts = (tx: { fetch: Database['fetch'] }) =>
      tx
        .fetch<{ Variable_name: string; Value: string }>(
          "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')",
        )
        .then((rows) => Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)])));
    const run = (target: Database) =>
      target.transaction(async (tx) => {
        const before = await counts(tx);
        for (let i = 0; i < 5; i++) await tx.fetchVal(sql`SELECT ${i} + 1`);
        const after = await counts(tx);
        return {
          prepared: (after.Com_stmt_prepare ?? 0) - (before.Com_stmt_prepare ?? 0),
          executed: (after.Com_stmt_execute ?? 0) - (before.Com_stmt_execute ?? 0),
        };
      });
    expect(await withPool({ maxSize: 1 }, run)).toEqual({ prepared: 1, executed: 5 });
    expect(await withPool({ maxSize: 1, prepare: false }, run)).toEqual({
      prepared: 0,
      executed: 0,
    });
  });

  it('replaces a connection after maxUses, and after discardConnections()', async () => {
    await withPool({ maxSize: 1, maxUses: 2 }, async (limited, pool) => {
      const id = () => limited.fetchVal('SELECT CONNECTION_ID()');
      const first = await id();
      expect(await id()).toBe(first);
      const second = await id();
      expect(second).not.toBe(first);
      pool.discardConnections();
      expect(await id()).not.toBe(second);
    });
  });

  it('pre-ping replaces a connection the server closed; the init hook runs once per connection', async () => {
    let hooks = 0;
    await withPool(
      {
        maxSize: 1,
        prePingIdleMs: 0,
        onConnect: async (c) => {
          hooks++;
          await c.query("SET @libretto_hook = 'ran'", []);
        },
      },
      async (pinged) => {
        const first = await pinged.fetchVal('SELECT CONNECTION_ID()');
        expect(await pinged.fetchVal('SELECT @libretto_hook')).toBe('ran');
        await mysqlAdmin(`KILL ${first}`);
        expect(await pinged.fetchVal('SELECT @libretto_hook')).toBe('ran');
        expect(await pinged.fetchVal('SELECT CONNECTION_ID()')).not.toBe(first);
        expect(hooks).toBe(2);
      },
    );
  });

  it('streams inside a transaction, reading its writes; a consumer that stops early leaves it usable', async () => {
    await db.execute('CREATE TABLE item (id int PRIMARY KEY)');
    await db.transaction(async (tx) => {
      const ids = Array.from({ length: 300 }, (_, i) => i + 1);
      await tx.execute(
        sql`INSERT INTO item (id) VALUES ${sql.join(ids.map((id) => sql`(${id})`))}`,
      );
      const seen: number[] = [];
      for await (const row of tx.stream<{ id: number }>('SELECT id FROM item ORDER BY id', [], {
        batchSize: 7,
      })) {
        seen.push(row.id);
        if (seen.length === 10) break;
      }
      expect(seen).toEqual(ids.slice(0, 10));
      expect(Number(await tx.fetchVal('SELECT count(*) FROM item'))).toBe(300);
    });
    expect(Number(await db.fetchVal('SELECT count(*) FROM item'))).toBe(300);
  });

  it('logs statements at debug with the values hidden, in a transaction too', async () => {
    const capture = capturedLogger();
    const logged = new Database(opened.pool, { logger: capture.logger, logStatements: true });
    await logged.fetchVal(sql`SELECT CONCAT(${'card-4242'}, ${'x'})`);
    await logged.transaction((tx) => tx.fetchVal(sql`SELECT ${'card-4242'}`));
    const lines = capture.lines.filter((l) => l.msg === 'sql');
    expect(lines[0]).toMatchObject({ sql: 'SELECT CONCAT(?, ?)', params: '2 hidden' });
    expect(lines.map((l) => l.sql)).toEqual([
      'SELECT CONCAT(?, ?)',
      'START TRANSACTION',
      'SELECT ?',
      'COMMIT',
    ]);
    expect(JSON.stringify(capture.lines)).not.toContain('card-4242');
  });

  it('refuses unknown options and bad sizes', async () => {
    const unknown = await failure(MysqlPool.create({ poolSize: 3 } as never));
    expect(unknown).toBeInstanceOf(UsageError);
    expect(unknown.message).toContain('poolSize');
    expect(await failure(MysqlPool.create({ maxSize: 0 }))).toBeInstanceOf(UsageError);
  });
});
