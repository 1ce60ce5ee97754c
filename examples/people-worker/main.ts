// The People API's consumer: welcomes each person the API created, from the PersonCreated
// messages its outbox publishes. `RABBITMQ_HOST=127.0.0.1 npm start` runs the API with
// messaging; `npm run start:people-worker` runs this worker (RabbitMQ on localhost by
// default). Its own database (an embedded server, data in .data/people-worker) holds the
// welcomes and the consumer's inbox: a message delivered twice welcomes once.
import { Application, ConfigService, provide, token } from 'libretto';
import {
  CurrentMessage,
  MessageConsumer,
  RabbitMqConfig,
  RabbitMqService,
} from 'libretto/messaging';
import { MigrationService, MigrationsConfig } from 'libretto/migrations';
import { Database, PostgresConfig, PostgresService, sql } from 'libretto/postgres';
import * as z from 'zod';

/** What the API sends (`examples/http-api/app.ts`): checked before the handler sees it. */
const PersonCreated = z.object({
  entityId: z.uuid(),
  email: z.email(),
  firstName: z.string(),
});

/** Request-scoped: made for one message and dropped with its scope. */
const Greeting = token<string>('Greeting');

const welcomes = new MessageConsumer('people', {
  schema: PersonCreated,
  inject: { db: Database, greeting: Greeting },
  // Runs in a transaction with the inbox record: the welcome and the record commit together.
  handle: async (message, { db, greeting }) => {
    const { entityId, email } = message.data;
    await db.execute(
      sql`INSERT INTO welcome (person_id, email, message_id) VALUES (${entityId}, ${email}, ${message.id})`,
    );
    console.log(`${greeting} (message ${message.id}, try ${message.attempt})`);
  },
  retries: 5,
});

await new Application(
  new ConfigService({ sections: [PostgresConfig, MigrationsConfig, RabbitMqConfig] }),
  new PostgresService(),
  // The inbox and welcome tables come from migrations/, applied at start.
  new MigrationService(),
  new RabbitMqService(),
  welcomes,
  {
    providers: [
      provide(Greeting, {
        deps: [CurrentMessage],
        use: (m) => `Welcome, ${(m.data as z.output<typeof PersonCreated>).firstName}!`,
        lifetime: 'request',
      }),
    ],
  },
).run();
