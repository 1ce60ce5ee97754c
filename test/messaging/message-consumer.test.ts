// MessageConsumer on a PostgreSQL server (libretto/testing) and the RabbitMQ on :5672: the
// inbox (a message delivered twice has its effects once), a consumer process killed before
// its ack (SIGKILL) whose message is redelivered with its effects landing once, a poison
// message retried with backoff then dead-lettered with the reason and its writes rolled back,
// a DI request scope per message, graceful stop, the inbox purge and bad options.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  Application,
  createLogger,
  type Provider,
  provide,
  type Service,
  token,
  UsageError,
} from 'libretto';
import {
  Broker,
  CurrentMessage,
  ensureInboxTable,
  HEADERS,
  INBOX_TABLE,
  inboxTableStatements,
  MessageConsumer,
  type MessageConsumerOptions,
  type RabbitMqBroker,
} from 'libretto/messaging';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RabbitMqBroker as Broker_,
  eventually,
  QueueInspector,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const fixture = fileURLToPath(new URL('./fixtures/consumer.ts', import.meta.url));
const available = await rabbitAvailable();
const prefix = uniquePrefix('message-consumer');

let server: TestPostgres;
let db: Database;
let broker: RabbitMqBroker;
let inspector: QueueInspector;
const apps: Application[] = [];

beforeAll(async () => {
  if (!available) return;
  server = await startPostgres();
  db = new Database(await PgPool.create({ connectionString: server.dsn, maxSize: 10 }));
  await ensureInboxTable(db);
  await ensureInboxTable(db); // idempotent
  await db.execute(
    'CREATE TABLE effects (id serial PRIMARY KEY, message_id text NOT NULL, by text NOT NULL)',
  );
  broker = await Broker_.connect(testSettings({ queuePrefix: prefix }));
  inspector = await QueueInspector.open();
});
afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => {});
  await broker?.close();
  await inspector?.close();
  await db?.close();
  await server?.stop();
});

/** Starts `consumer` in an application of its own over the test database and `via`. */
async function run(
  consumer: Service,
  providers: Provider[] = [],
  via: RabbitMqBroker = broker,
): Promise<Application> {
  const app = new Application(consumer, {
    providers: [provide(Database, { value: db }), provide(Broker, { value: via }), ...providers],
    logger: createLogger({ level: 'silent' }),
  });
  apps.push(app);
  await app.start();
  return app;
}

function consumerOf<T = { n: number }>(
  queue: string,
  options: MessageConsumerOptions<T, Record<never, never>>,
): MessageConsumer<T, Record<never, never>> {
  track(queue);
  return new MessageConsumer<T, Record<never, never>>(queue, options);
}

/** Deletes `queue`, its dead letters and its retry queues at the end. */
function track(queue: string): void {
  inspector.track(
    broker.queueName(queue),
    broker.queueName(`${queue}.dead-letter`),
    ...[50, 100, 1000, 2000, 4000].map((ms) => broker.queueName(`${queue}.retry.${ms}`)),
  );
}

function effects(messageId: string): Promise<string[]> {
  return db
    .fetch<{ by: string }>('SELECT by FROM effects WHERE message_id = $1 ORDER BY id', [messageId])
    .then((rows) => rows.map((r) => r.by));
}

function inboxHas(consumer: string, messageId: string): Promise<boolean> {
  return db
    .fetchVal<number>(
      `SELECT count(*)::int FROM ${INBOX_TABLE} WHERE consumer = $1 AND message_id = $2`,
      [consumer, messageId],
    )
    .then((n) => n === 1);
}

/** Messages waiting in `queue` plus those delivered and not acknowledged, once settled. */
async function drained(queue: string): Promise<boolean> {
  return (await inspector.count(broker.queueName(queue))) === 0;
}

describe('the inbox table', () => {
  it('has DDL a migration can hold, for the default or a named table', () => {
    const [create, index] = inboxTableStatements();
    expect(create).toContain('CREATE TABLE IF NOT EXISTS "libretto_inbox"');
    expect(create).toContain('PRIMARY KEY (consumer, message_id)');
    expect(index).toContain('CREATE INDEX IF NOT EXISTS "libretto_inbox_received"');
    expect(inboxTableStatements('app.seen')[0]).toContain('"app"."seen"');
    expect(() => inboxTableStatements('x; DROP TABLE y')).toThrow(
      'inboxTableStatements: table "x; DROP TABLE y" must be a lower-case identifier',
    );
  });

  it('bad options fail at construction, naming the consumer and the option', () => {
    const handle = () => {};
    expect(() => new MessageConsumer('q', { handle, prefetsh: 2 } as never)).toThrow(
      'MessageConsumer(q): prefetsh unknown option',
    );
    expect(() => new MessageConsumer('q', {} as never)).toThrow(
      'MessageConsumer(q): handle must be a function',
    );
    expect(() => new MessageConsumer('q', { handle, inbox: { retention: -1 } })).toThrow(
      'MessageConsumer(q): inbox.retention must be a whole number of milliseconds',
    );
    expect(() => new MessageConsumer('q', { handle, inject: { x: 'Users' as never } })).toThrow(
      'MessageConsumer(q): inject.x is not a token or class',
    );
    const error = (() => {
      try {
        new MessageConsumer('q', { handle, inbox: { table: 'Bad Name' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('INVALID_OPTION');
  });
});

describe.skipIf(!available)('MessageConsumer on PostgreSQL and RabbitMQ', () => {
  it('a message delivered twice has its effects once: the second is acknowledged unhandled', async () => {
    const queue = 'twice';
    const consumer = consumerOf(queue, {
      handle: (m) =>
        db.execute('INSERT INTO effects (message_id, by) VALUES ($1, $2)', [m.id, 'a']),
    });
    await run(consumer);
    const sent = await broker.send(queue, { n: 1 });
    await broker.send(queue, { n: 1 }, { id: sent.id }); // the relay's resend after a crash
    await eventually(() => consumer.stats.handled + consumer.stats.duplicates === 2);
    expect(consumer.stats).toMatchObject({ handled: 1, duplicates: 1, failed: 0 });
    expect(await effects(sent.id)).toEqual(['a']);
    expect(await inboxHas(queue, sent.id)).toBe(true);
    await eventually(() => drained(queue));
  });

  it('a consumer killed (SIGKILL) after its commit, before its ack: redelivered, effects once', async () => {
    const queue = 'killed-after-commit';
    const { child, line } = spawnFixture(queue, 'after-commit');
    try {
      await line('ready');
      const sent = await broker.send(queue, { n: 1 });
      await line(`committed ${sent.id}`);
      // Committed and unacknowledged: the broker holds it for the doomed consumer.
      expect(await effects(sent.id)).toEqual(['doomed']);
      child.kill('SIGKILL');
      const survivor = consumerOf(queue, {
        handle: (m) =>
          db.execute('INSERT INTO effects (message_id, by) VALUES ($1, $2)', [m.id, 'survivor']),
      });
      await run(survivor);
      await eventually(() => survivor.stats.duplicates === 1, 20_000);
      expect(survivor.stats.handled).toBe(0);
      expect(await effects(sent.id)).toEqual(['doomed']);
      await eventually(() => drained(queue));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a consumer killed (SIGKILL) inside its handler: its writes roll back, the redelivery runs once', async () => {
    const queue = 'killed-in-handler';
    const { child, line } = spawnFixture(queue, 'in-handler');
    try {
      await line('ready');
      const sent = await broker.send(queue, { n: 1 });
      await line(`handling ${sent.id}`);
      child.kill('SIGKILL');
      const survivor = consumerOf(queue, {
        handle: (m) =>
          db.execute('INSERT INTO effects (message_id, by) VALUES ($1, $2)', [m.id, 'survivor']),
      });
      await run(survivor);
      await eventually(() => survivor.stats.handled === 1, 20_000);
      expect(survivor.stats.duplicates).toBe(0);
      expect(await effects(sent.id)).toEqual(['survivor']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a poison message: retried with backoff, then dead-lettered with the reason; nothing it wrote stays', async () => {
    const queue = 'poison';
    const attempts: number[] = [];
    const consumer = consumerOf(queue, {
      handle: async (m) => {
        attempts.push(m.attempt);
        await db.execute('INSERT INTO effects (message_id, by) VALUES ($1, $2)', [m.id, 'poison']);
        throw new Error(`cannot digest ${JSON.stringify(m.data)}`);
      },
      retries: 2,
      backoff: { initialDelay: 50, factor: 2 },
    });
    await run(consumer);
    const sent = await broker.send(queue, { n: 13 });
    const dead = await inspector.take(broker.queueName(`${queue}.dead-letter`), 20_000);
    expect(attempts).toEqual([1, 2, 3]);
    expect(JSON.parse(dead.content.toString()).id).toBe(sent.id);
    const headers = dead.properties.headers ?? {};
    expect(headers[HEADERS.deadReason]).toBe('handler failed 3 times: cannot digest {"n":13}');
    expect(headers[HEADERS.attempts]).toBe(3);
    expect(consumer.stats.failed).toBe(3);
    // Each try rolled back: no effect, and no inbox record that would hide a replay.
    expect(await effects(sent.id)).toEqual([]);
    expect(await inboxHas(queue, sent.id)).toBe(false);
  });

  it('opens a request scope per message: the message supplied, request-scoped values new and disposed', async () => {
    const queue = 'scopes';
    class Unit {
      static made = 0;
      readonly n = ++Unit.made;
      constructor(readonly messageId: string) {}
    }
    const Tenant = token<string>('Tenant');
    const disposed: number[] = [];
    const seen: { unit: number; messageId: string; tenant: string; id: string }[] = [];
    const consumer = new MessageConsumer(queue, {
      inject: { unit: Unit, tenant: Tenant, message: CurrentMessage },
      handle: (m, { unit, tenant, message }) => {
        expect(message).toBe(m);
        seen.push({ unit: unit.n, messageId: unit.messageId, tenant, id: m.id });
      },
      inbox: false,
    });
    track(queue);
    await run(consumer, [
      provide(Unit, {
        deps: [CurrentMessage],
        use: (m) => new Unit(m.id),
        lifetime: 'request',
        dispose: (u) => void disposed.push(u.n),
      }),
      provide(Tenant, {
        deps: [CurrentMessage],
        use: (m) => m.headers.tenant ?? 'none',
        lifetime: 'request',
      }),
    ]);
    const ids: string[] = [];
    for (const tenant of ['acme', 'globex', 'initech']) {
      ids.push((await broker.send(queue, { n: 1 }, { headers: { tenant } })).id);
    }
    await eventually(() => disposed.length === 3);
    expect(seen.map((s) => s.unit).sort()).toEqual([1, 2, 3]);
    expect(new Set(seen.map((s) => s.unit)).size).toBe(3);
    for (const s of seen) expect(s.messageId).toBe(s.id);
    expect(seen.map((s) => s.tenant).sort()).toEqual(['acme', 'globex', 'initech']);
    expect(disposed.sort()).toEqual([1, 2, 3]);
  });

  it('a missing inject provider fails the start naming the consumer and the key', async () => {
    const Missing = token<string>('Missing');
    const app = new Application(
      new MessageConsumer('never', { inject: { missing: Missing }, handle: () => {} }),
      {
        providers: [provide(Database, { value: db }), provide(Broker, { value: broker })],
        logger: createLogger({ level: 'silent' }),
      },
    );
    await expect(app.start()).rejects.toThrow(/MessageConsumer\(never\) -> inject\.missing/);
  });

  it('a missing inbox table fails the start with INBOX_TABLE_MISSING naming it', async () => {
    const app = new Application(
      new MessageConsumer('never', { handle: () => {}, inbox: { table: 'nowhere_inbox' } }),
      {
        providers: [provide(Database, { value: db }), provide(Broker, { value: broker })],
        logger: createLogger({ level: 'silent' }),
      },
    );
    const error = await app.start().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^Service MessageConsumer\(never\) failed to start: The inbox table "nowhere_inbox" does not exist/,
    );
    expect((error as Error).cause).toMatchObject({ code: 'INBOX_TABLE_MISSING' });
  });

  it('graceful stop: a running handler finishes and is acknowledged; none is taken after', async () => {
    const queue = 'graceful';
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const started: string[] = [];
    const consumer = consumerOf(queue, {
      handle: async (m) => {
        started.push(m.id);
        await gate;
        await db.execute('INSERT INTO effects (message_id, by) VALUES ($1, $2)', [m.id, 'grace']);
      },
      prefetch: 1,
    });
    const app = await run(consumer);
    const first = await broker.send(queue, { n: 1 });
    const second = await broker.send(queue, { n: 2 });
    await eventually(() => started.length === 1);
    const stopped = app.stop();
    setTimeout(release, 100);
    await stopped;
    expect(started).toEqual([first.id]);
    expect(consumer.stats.handled).toBe(1);
    expect(await effects(first.id)).toEqual(['grace']);
    expect(await effects(second.id)).toEqual([]);
    // The first was acknowledged; the second waits for the next consumer.
    await eventually(async () => (await inspector.count(broker.queueName(queue))) === 1);
  });

  it('graceful stop past its bound: the handler is rolled back and its message not acknowledged', async () => {
    const queue = 'abandoned';
    const own = await Broker_.connect(testSettings({ queuePrefix: prefix, stopTimeout: 1 }));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let signal: AbortSignal | undefined;
    const consumer = consumerOf(queue, {
      handle: async (m) => {
        signal = m.signal;
        await db.execute('INSERT INTO effects (message_id, by) VALUES ($1, $2)', [m.id, 'late']);
        await gate;
      },
    });
    try {
      const app = await run(consumer, [], own);
      const sent = await broker.send(queue, { n: 1 });
      await eventually(() => signal !== undefined);
      await app.stop(); // returns after stop_timeout, the handler still running
      expect(signal?.aborted).toBe(true);
      release();
      await eventually(() => consumer.stats.failed === 1);
      expect(consumer.stats.handled).toBe(0);
      expect(await effects(sent.id)).toEqual([]);
      expect(await inboxHas(queue, sent.id)).toBe(false);
      await eventually(async () => (await inspector.count(broker.queueName(queue))) === 1);
    } finally {
      release();
      await own.close();
    }
  });

  it('purges inbox records older than the retention, its own only', async () => {
    const queue = 'purged';
    const consumer = consumerOf(queue, { handle: () => {}, inbox: { retention: 60_000 } });
    await run(consumer);
    await db.execute(
      `INSERT INTO ${INBOX_TABLE} (consumer, message_id, queue, received_at) VALUES
        ('purged', 'old', 'purged', now() - interval '2 minutes'),
        ('purged', 'new', 'purged', now()),
        ('someone-else', 'old', 'x', now() - interval '2 minutes')`,
    );
    expect(await consumer.purge()).toBe(1);
    expect(await inboxHas('purged', 'old')).toBe(false);
    expect(await inboxHas('purged', 'new')).toBe(true);
    expect(await inboxHas('someone-else', 'old')).toBe(true);
    expect(consumer.stats.purged).toBe(1);
  });
});

/** Starts the fixture consumer; `line(text)` resolves when it has printed `text`. */
function spawnFixture(
  queue: string,
  mode: 'after-commit' | 'in-handler',
): { child: ChildProcess; line: (text: string) => Promise<void> } {
  track(queue);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fixture, server.dsn, prefix, queue, mode],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const line = async (text: string) => {
    await eventually(() => out.split('\n').includes(text) || child.exitCode !== null, 30_000);
    if (!out.split('\n').includes(text)) {
      throw new Error(`the consumer fixture exited (${child.exitCode}) before "${text}"`);
    }
  };
  return { child, line };
}
