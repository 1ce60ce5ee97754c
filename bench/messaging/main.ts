// Messaging benchmark, side by side in one run, on a throwaway libretto/testing PostgreSQL and
// the RabbitMQ on 127.0.0.1:5672:
//  1. Publishing N messages over K keys with confirms. Bare amqplib: C publishers on one
//     confirm channel, each awaiting its confirm. Outbox: the same messages already committed
//     in libretto_outbox, drained by one OutboxRelay (claim, confirmed publish, mark, commit);
//     and the whole path — C writers each committing a business row and its outbox message,
//     the relay publishing as they commit — from the first commit to the last confirm.
//  2. Commit-to-publish latency at a steady rate (1,000 msgs/s, after a second of warm-up that
//     is not counted): a transaction (row + outbox message) every 1 ms, the relay in this
//     process and then in a process of its own (as a worker runs it); latency = a bare amqplib
//     consumer's arrival - commit resolved (an upper bound). The reference in the same rounds:
//     the row alone committed, then published with bare amqplib (the dual write the outbox
//     replaces). ROUNDS rounds, the median, with how busy the machine's cores were.
//  3. Consumer throughput: N messages waiting in a queue, drained by a bare amqplib consumer
//     (ack per message) vs `broker.consume` and a `MessageConsumer` (no inbox, then with the
//     inbox: a transaction per message), same prefetch; each handler does no work.
//   npm run bench:messaging   BENCH_MESSAGES (5000), BENCH_KEYS (100), BENCH_CONCURRENCY (50),
//                             BENCH_RATE (1000), BENCH_SECONDS (5), BENCH_PREFETCH (50),
//                             BENCH_ROUNDS (3: rotating order, the median),
//                             BENCH_ONLY (publish | latency | consume: one part), BENCH_BATCH
//                             (the relay's batchSize; its default unless set),
//                             BENCH_IN_FLIGHT (the relay's batchesInFlight; likewise)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import amqp, { type ConfirmChannel } from 'amqplib';
import { Application, createLogger, provide } from 'libretto';
import {
  Broker,
  ensureInboxTable,
  MessageConsumer,
  Outbox,
  OutboxRelay,
  RabbitMqBroker,
  resolveRabbitMqSettings,
} from 'libretto/messaging';
import { Database, PgPool } from 'libretto/postgres';
import { startPostgres } from 'libretto/testing';

const N = Number(process.env.BENCH_MESSAGES ?? 5000);
const KEYS = Number(process.env.BENCH_KEYS ?? 100);
const C = Number(process.env.BENCH_CONCURRENCY ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 50);
const ONLY = process.env.BENCH_ONLY;
const BATCH = process.env.BENCH_BATCH === undefined ? undefined : Number(process.env.BENCH_BATCH);
const IN_FLIGHT =
  process.env.BENCH_IN_FLIGHT === undefined ? undefined : Number(process.env.BENCH_IN_FLIGHT);
const URL = 'amqp://guest:guest@127.0.0.1:5672';
const PREFIX = `bench-messaging.${randomUUID().slice(0, 8)}.`;

if (!(await reachable(5672))) {
  console.error('RabbitMQ on 127.0.0.1:5672 is not reachable: nothing to measure');
  process.exit(1);
}

const silent = createLogger({ level: 'silent' });
const server = await startPostgres();
const db = new Database(await PgPool.create({ connectionString: server.dsn, maxSize: C + 5 }));
await Outbox.ensureTable(db);
await ensureInboxTable(db);
await db.execute(
  'CREATE TABLE business (id serial PRIMARY KEY, key text NOT NULL, n int NOT NULL)',
);
const outbox = new Outbox(db);
const model = await amqp.connect(URL);
const admin = await model.createChannel();
const queues: string[] = [];

let made = 0;

/** A fresh durable queue (with the prefix and a number), deleted at the end. */
async function freshQueue(base: string): Promise<string> {
  const name = `${base}.${++made}`;
  const full = `${PREFIX}${name}`;
  await admin.assertQueue(full, { durable: true });
  queues.push(full);
  return full;
}

function payload(i: number) {
  return { seq: i, at: new Date().toISOString(), note: 'x'.repeat(100) };
}

/** Polls `check` until it gives a value; fails after a minute (something was lost). */
async function settle<T>(check: () => T | undefined, everyMs = 2): Promise<T> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error('not done within 60 s');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function withRelay<T>(work: (relay: OutboxRelay) => Promise<T>): Promise<T> {
  const broker = await RabbitMqBroker.connect(
    resolveRabbitMqSettings({}, { url: URL, queuePrefix: PREFIX }),
  );
  const relay = new OutboxRelay({
    ...(BATCH === undefined ? {} : { batchSize: BATCH }),
    ...(IN_FLIGHT === undefined ? {} : { batchesInFlight: IN_FLIGHT }),
  });
  const app = new Application(relay, {
    providers: [provide(Database, { value: db }), provide(Broker, { value: broker })],
    logger: silent,
  });
  await app.start();
  try {
    return await work(relay);
  } finally {
    await app.stop();
    await broker.close();
  }
}

/** `work` with an OutboxRelay running in a child process (bench/messaging/relay-process.ts). */
async function withRelayProcess<T>(work: () => Promise<T>): Promise<T> {
  const options = {
    dsn: server.dsn,
    url: URL,
    prefix: PREFIX,
    ...(BATCH === undefined ? {} : { batchSize: BATCH }),
    ...(IN_FLIGHT === undefined ? {} : { batchesInFlight: IN_FLIGHT }),
  };
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(new globalThis.URL('./relay-process.ts', import.meta.url)),
      JSON.stringify(options),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the relay process exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', () => resolve());
  });
  try {
    return await work();
  } finally {
    child.stdin.end();
    await exited;
  }
}

// ——— 1. publishing ———

async function barePublish(): Promise<number> {
  const queue = await freshQueue('bare-publish');
  const channel: ConfirmChannel = await model.createConfirmChannel();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      for (let i = next++; i < N; i = next++) {
        const body = Buffer.from(JSON.stringify({ id: randomUUID(), data: payload(i) }));
        await new Promise<void>((resolve, reject) =>
          channel.sendToQueue(queue, body, { persistent: true, messageId: String(i) }, (err) =>
            err ? reject(err) : resolve(),
          ),
        );
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await channel.close();
  return N / seconds;
}

/** The name given to `send`/`add` for a fresh queue (without the prefix). */
async function fresh(base: string): Promise<string> {
  return (await freshQueue(base)).slice(PREFIX.length);
}

async function relayDrain(): Promise<number> {
  const queue = await fresh('relay-drain');
  await db.execute(
    `INSERT INTO libretto_outbox (message_id, queue, key, payload)
     SELECT gen_random_uuid()::text, $1, 'k' || (g % $2), jsonb_build_object('seq', g, 'note', repeat('x', 100))
     FROM generate_series(0, $3 - 1) g`,
    [queue, KEYS, N],
  );
  return withRelay(async (relay) => {
    const t0 = performance.now();
    await settle(() => (relay.stats.published >= N ? true : undefined));
    return N / ((performance.now() - t0) / 1000);
  });
}

/** C writers committing N business transactions, each a row and its outbox message. */
async function commitAll(queue: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      for (let i = next++; i < N; i = next++) {
        const key = `k${i % KEYS}`;
        await db.transaction(async () => {
          await db.execute('INSERT INTO business (key, n) VALUES ($1, $2)', [key, i]);
          await outbox.add(queue, payload(i), { key });
        });
      }
    }),
  );
}

/** The commits alone (no relay running): what the whole path cannot beat. */
async function commitsAlone(): Promise<number> {
  const queue = await fresh('commits-alone');
  const t0 = performance.now();
  await commitAll(queue);
  const rate = N / ((performance.now() - t0) / 1000);
  // Not for the next relay: published rows are what a relay leaves, so mark them so.
  await db.execute('UPDATE libretto_outbox SET published_at = now() WHERE queue = $1', [queue]);
  return rate;
}

async function commitAndRelay(): Promise<number> {
  const queue = await fresh('commit-relay');
  return withRelay(async (relay) => {
    const t0 = performance.now();
    await commitAll(queue);
    await settle(() => (relay.stats.published >= N ? true : undefined));
    return N / ((performance.now() - t0) / 1000);
  });
}

// ——— 2. commit-to-publish latency at a steady rate ———

/** Latencies at a steady rate, after the warm-up second, and what the machine did meanwhile. */
interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly loopP99: number;
  /** Share of the machine's CPU time (all cores) that was busy: contention the tail reflects. */
  readonly busy: number;
}

/** The machine's busy and total CPU time so far (all cores, ms). */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times: t } of cpus()) {
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * A transaction (a business row, and with `outbox` its message) every 1/RATE s for
 * SECONDS + 1 s; a bare amqplib consumer notes each arrival; latency = arrival − commit
 * resolved (so it includes the delivery to a consumer: an upper bound of commit-to-publish).
 * Without `outbox` the same transaction is followed by a bare amqplib confirmed publish — the
 * dual write the outbox replaces, which loses the message if the process dies in between: the
 * reference of what the broker, the consumer and this machine give at this rate.
 */
async function latency(
  outbox: Outbox | undefined,
  relayed: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<Latency> {
  const full = await freshQueue('latency');
  const queue = full.slice(PREFIX.length);
  const committed = new Map<number, number>();
  const arrived = new Map<number, number>();
  const consumer = await model.createChannel();
  await consumer.consume(
    full,
    (m) => {
      if (m !== null) arrived.set(JSON.parse(m.content.toString()).data.seq, performance.now());
    },
    { noAck: true },
  );
  const direct = outbox === undefined ? await model.createConfirmChannel() : undefined;
  const publish =
    direct &&
    ((i: number) =>
      new Promise<void>((resolve, reject) =>
        direct.sendToQueue(
          full,
          Buffer.from(JSON.stringify({ id: randomUUID(), data: payload(i) })),
          { persistent: true },
          (err) => (err ? reject(err) : resolve()),
        ),
      ));
  return relayed(async () => {
    const total = RATE * (SECONDS + 1);
    const writes: Promise<void>[] = [];
    // How late this process's own event loop ran meanwhile: a latency can be no better.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const before = machineTimes();
    const t0 = performance.now();
    // A tick every 10 ms starts the transactions due by then: a steady rate, not a burst.
    let started = 0;
    while (started < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
      for (; started < due; started++) {
        const i = started;
        const key = `l${i % KEYS}`;
        const commit = db.transaction(async () => {
          await db.execute('INSERT INTO business (key, n) VALUES ($1, $2)', [key, i]);
          await outbox?.add(queue, payload(i), { key });
        });
        writes.push(
          commit.then(() => {
            committed.set(i, performance.now());
            return publish?.(i);
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(writes);
    await settle(() => (arrived.size >= total ? true : undefined), 10);
    const after = machineTimes();
    loop.disable();
    await consumer.close();
    await direct?.close();
    // The first second warms up (JIT, pools, the broker's queue) and is not counted: a steady
    // rate is what is measured.
    const lat = [...committed]
      .filter(([i]) => i >= RATE)
      .map(([i, t]) => (arrived.get(i) as number) - t)
      .sort((a, b) => a - b);
    const at = (q: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))] as number;
    return {
      p50: at(0.5),
      p99: at(0.99),
      max: lat.at(-1) as number,
      loopP99: loop.percentile(99) / 1e6,
      busy: (after.busy - before.busy) / (after.total - before.total),
    };
  });
}

/** Runs `work` as it is: the reference needs no relay. */
const asIs = <T>(work: () => Promise<T>): Promise<T> => work();

// ——— 3. consumers ———

async function fill(name: string): Promise<string> {
  const full = await freshQueue(name);
  const channel = await model.createConfirmChannel();
  for (let i = 0; i < N; i++) {
    const body = JSON.stringify({
      id: randomUUID(),
      key: null,
      type: null,
      headers: {},
      createdAt: new Date().toISOString(),
      data: payload(i),
    });
    channel.sendToQueue(full, Buffer.from(body), { persistent: true });
  }
  await channel.waitForConfirms();
  await channel.close();
  return full;
}

async function bareConsumer(): Promise<number> {
  const queue = await fill('bare-consume');
  const channel = await model.createChannel();
  await channel.prefetch(PREFETCH);
  let done = 0;
  let t0 = 0;
  await channel.consume(queue, (m) => {
    if (m === null) return;
    if (done === 0) t0 = performance.now();
    JSON.parse(m.content.toString());
    channel.ack(m);
    done++;
  });
  await settle(() => (done >= N ? true : undefined));
  const rate = N / ((performance.now() - t0) / 1000);
  await channel.close();
  return rate;
}

async function brokerConsumer(): Promise<number> {
  const name = (await fill('broker-consume')).slice(PREFIX.length);
  const broker = await RabbitMqBroker.connect(
    resolveRabbitMqSettings({}, { url: URL, queuePrefix: PREFIX }),
  );
  queues.push(
    ...[`${name}.dead-letter`, ...[1000, 2000, 4000].map((ms) => `${name}.retry.${ms}`)].map((q) =>
      broker.queueName(q),
    ),
  );
  let done = 0;
  let t0 = 0;
  const consumer = await broker.consume(
    name,
    () => {
      if (done === 0) t0 = performance.now();
      done++;
    },
    { prefetch: PREFETCH },
  );
  await settle(() => (done >= N ? true : undefined));
  const rate = N / ((performance.now() - t0) / 1000);
  await consumer.stop();
  await broker.close();
  return rate;
}

async function serviceConsumer(inbox: boolean): Promise<number> {
  const name = (await fill(inbox ? 'service-inbox' : 'service-consume')).slice(PREFIX.length);
  const broker = await RabbitMqBroker.connect(
    resolveRabbitMqSettings({}, { url: URL, queuePrefix: PREFIX }),
  );
  queues.push(
    ...[`${name}.dead-letter`, ...[1000, 2000, 4000].map((ms) => `${name}.retry.${ms}`)].map((q) =>
      broker.queueName(q),
    ),
  );
  let t0 = 0;
  let done = 0;
  const service = new MessageConsumer(name, {
    handle: () => {
      if (done++ === 0) t0 = performance.now();
    },
    prefetch: PREFETCH,
    inbox,
  });
  const app = new Application(service, {
    providers: [provide(Database, { value: db }), provide(Broker, { value: broker })],
    logger: silent,
  });
  await app.start();
  await settle(() => (service.stats.handled >= N ? true : undefined));
  const rate = N / ((performance.now() - t0) / 1000);
  await app.stop();
  await broker.close();
  return rate;
}

// ——— run ———

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** A rate and the CPU time this process spent per message meanwhile (µs). */
interface Measure {
  readonly rate: number;
  readonly cpu: number;
}

/** Runs a contender (which returns its rate over N messages) and notes the CPU it took. */
async function measured(contender: () => Promise<number>): Promise<Measure> {
  const before = process.cpuUsage();
  const rate = await contender();
  const used = process.cpuUsage(before);
  return { rate, cpu: (used.user + used.system) / N };
}

/**
 * Each contender `ROUNDS` times, each round starting with the next one (none is always the
 * first, the coldest); every result of each, in contender order.
 */
async function rotated<T>(contenders: (() => Promise<T>)[]): Promise<T[][]> {
  const results = contenders.map(() => [] as T[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + round) % contenders.length;
      results[i]?.push(await (contenders[i] as () => Promise<T>)());
    }
  }
  return results;
}

/** The median of `values` by `by`. */
function median<T>(values: T[], by: (value: T) => number): T {
  return [...values].sort((a, b) => by(a) - by(b))[Math.floor(values.length / 2)] as T;
}

/** Each contender's rate over `ROUNDS` rotated rounds: the median, with its CPU. */
async function rounds(contenders: (() => Promise<number>)[]): Promise<Measure[]> {
  const results = await rotated(contenders.map((c) => () => measured(c)));
  return results.map((r) => median(r, (m) => m.rate));
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(8);

/** One result: the rate, the CPU per message, and the ratio to a reference. */
function line(name: string, m: Measure | undefined, ref?: Measure, of?: string): void {
  if (m === undefined) return;
  const ratio = ref === undefined ? '' : `  ${Math.round((m.rate / ref.rate) * 100)}% ${of}`;
  console.log(
    `  ${name.padEnd(42)} ${fmt(m.rate)}/s  ${m.cpu.toFixed(1).padStart(6)} µs CPU${ratio}`,
  );
}
try {
  console.log(
    `messaging bench: ${N} messages, ${KEYS} keys, ${C} publishers/writers, prefetch ${PREFETCH}, median of ${ROUNDS} rounds`,
  );
  if (ONLY === undefined || ONLY === 'publish') {
    const [bare, drain] = await rounds([barePublish, relayDrain]);
    const [alone, pipeline] = await rounds([commitsAlone, commitAndRelay]);
    console.log('\npublishing (msgs/s, CPU of this process per message)');
    line('bare amqplib, confirmed', bare);
    line('outbox relay: committed rows → confirmed', drain, bare, 'of bare');
    line('business commits alone (row + outbox)', alone);
    line('commits + relay + confirmed publish', pipeline, alone, 'of the commits alone');
  }
  if (ONLY === undefined || ONLY === 'latency') {
    const placements = [
      ['publish right after the commit (bare amqplib, no outbox)', undefined, asIs],
      ['outbox, the relay in this process', outbox, withRelay],
      ['outbox, the relay in a process of its own', outbox, withRelayProcess],
    ] as const;
    const results = await rotated(
      placements.map(
        ([, writer, relayed]) =>
          () =>
            latency(writer, relayed),
      ),
    );
    console.log(
      `\ncommit → consumer arrival at ${RATE} msgs/s for ${SECONDS} s after a warm-up second, ${ROUNDS} rounds (the median; every round's p99)`,
    );
    for (const [k, [name]] of placements.entries()) {
      const r = results[k] as Latency[];
      const mid = (f: (l: Latency) => number) => f(median(r, f));
      console.log(`  ${name}`);
      console.log(
        `    p50 ${mid((l) => l.p50).toFixed(1)} ms   p99 ${mid((l) => l.p99).toFixed(1)} ms (${r.map((l) => l.p99.toFixed(1)).join(' / ')})   max ${mid((l) => l.max).toFixed(1)} ms`,
      );
      console.log(
        `    machine busy ${Math.round(mid((l) => l.busy) * 100)}% of ${cpus().length} cores, this process's event-loop delay p99 ${mid((l) => l.loopP99).toFixed(1)} ms`,
      );
    }
  }
  if (ONLY === undefined || ONLY === 'consume') {
    const [bareC, brokerC, serviceC] = await rounds([
      bareConsumer,
      brokerConsumer,
      () => serviceConsumer(false),
    ]);
    const inboxC = await measured(() => serviceConsumer(true));
    console.log(`\nconsuming (msgs/s, prefetch ${PREFETCH}, CPU of this process per message)`);
    line('bare amqplib, ack each', bareC);
    line('broker.consume', brokerC, bareC, 'of bare');
    line('MessageConsumer, no inbox', serviceC, bareC, 'of bare');
    line('MessageConsumer, inbox (a tx per message)', inboxC, bareC, 'of bare');
  }
} finally {
  for (const q of queues) await admin.deleteQueue(q).catch(() => {});
  await model.close();
  await db.close();
  await server.stop();
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
