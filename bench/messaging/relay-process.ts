// An OutboxRelay in a process of its own, for the latency part of bench/messaging: the relay
// as a worker runs it, apart from the writers and the consumer. Prints `ready` once started;
// stops when its parent closes stdin. Argument: JSON { dsn, url, prefix, batchSize?, batchesInFlight? }.
import { Application, createLogger, provide } from 'libretto';
import {
  Broker,
  OutboxRelay,
  type OutboxRelayOptions,
  RabbitMqBroker,
  resolveRabbitMqSettings,
} from 'libretto/messaging';
import { Database, PgPool } from 'libretto/postgres';

const { dsn, url, prefix, ...options } = JSON.parse(process.argv[2] as string) as {
  dsn: string;
  url: string;
  prefix: string;
} & OutboxRelayOptions;
const db = new Database(await PgPool.create({ connectionString: dsn, maxSize: 10 }));
const broker = await RabbitMqBroker.connect(
  resolveRabbitMqSettings({}, { url, queuePrefix: prefix }),
);
const app = new Application(new OutboxRelay(options), {
  providers: [provide(Database, { value: db }), provide(Broker, { value: broker })],
  logger: createLogger({ level: 'silent' }),
});
await app.start();
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  await app.stop();
  await broker.close();
  await db.close();
  process.exit(0);
});
