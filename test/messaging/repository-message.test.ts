// Repository writes with a message (`save(entity, { message })`) on the embedded database
// (PGlite) and the RabbitMQ on :5672: the message is added to the outbox in the write's
// transaction and published by the relay after the commit — never after a rollback — with
// the repository given an Outbox directly or through DI (provideRepository { outbox: Outbox }).
import { Application, createLogger, provide, token, UsageError } from 'libretto';
import {
  model,
  provideRepository,
  type RepositoryOf,
  repository,
  SchemaRegistry,
} from 'libretto/data';
import {
  Broker,
  Outbox,
  OutboxRelay,
  OutboxService,
  type RabbitMqBroker,
} from 'libretto/messaging';
import { Database, PglitePool, transactional } from 'libretto/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { emptyPglite } from '../postgres/empty-pglite.js';
import { Received } from './outbox-helpers.js';
import {
  RabbitMqBroker as Broker_,
  eventually,
  QueueInspector,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from './rabbitmq.js';

const Parcel = model('parcel', { label: z.string() });
const Letter = model('letter', { text: z.string() }, { versioned: true });
const available = await rabbitAvailable();
const prefix = uniquePrefix('repository-message');

let db: Database;
let outbox: Outbox;

beforeAll(async () => {
  db = new Database(await PglitePool.create({ loadDataDir: await emptyPglite() }));
  await Outbox.ensureTable(db);
  await new SchemaRegistry([Parcel, Letter]).ensureSchema(db);
  outbox = new Outbox(db);
});
afterAll(() => db?.close());

function outboxRows(queue: string): Promise<{ message_id: string; type: string; key: string }[]> {
  return db.fetch('SELECT message_id, type, key FROM libretto_outbox WHERE queue = $1', [queue]);
}

describe('repository writes with a message', () => {
  it('a save adds its message to the outbox in its own transaction when none is ambient', async () => {
    const parcels = repository(Parcel, db, { outbox });
    const saved = await parcels.save(Parcel.create({ label: 'p1' }), {
      message: { queue: 'parcels-a', data: { label: 'p1' }, key: 'p1', type: 'ParcelSaved' },
    });
    expect(saved.label).toBe('p1');
    expect(await outboxRows('parcels-a')).toMatchObject([{ type: 'ParcelSaved', key: 'p1' }]);
  });

  it('a failed save adds no message; a bad message writes nothing', async () => {
    const letters = repository(Letter, db, { outbox });
    const letter = await letters.save(Letter.create({ text: 'v1' }));
    await letters.save({ ...letter, text: 'v2' });
    // Saving over a version someone replaced: ConflictError, and its message goes with it.
    await expect(
      letters.save({ ...letter, text: 'stale' }, { message: { queue: 'letters-a', data: 1 } }),
    ).rejects.toMatchObject({ code: 'STALE_VERSION' });
    await expect(
      letters.save(Letter.create({ text: 'x' }), { message: { queue: '', data: 1 } }),
    ).rejects.toThrow('outbox.addMessage(): queue must be a non-empty name');
    expect(await outboxRows('letters-a')).toEqual([]);
    expect(await letters.count({ text: 'x' })).toBe(0);
  });

  it('rolls back with the ambient transaction; commits with it', async () => {
    const parcels = repository(Parcel, db, { outbox });
    await expect(
      transactional(
        async () => {
          await parcels.save(Parcel.create({ label: 'rolled' }), {
            message: { queue: 'parcels-b', data: 'rolled' },
          });
          throw new Error('changed my mind');
        },
        { database: db },
      ),
    ).rejects.toThrow('changed my mind');
    expect(await outboxRows('parcels-b')).toEqual([]);
    await transactional(
      async () => {
        await parcels.save(Parcel.create({ label: 'kept' }), {
          message: { queue: 'parcels-b', data: 'kept' },
        });
        await parcels
          .delete(Parcel.create({ label: 'gone' }), {
            message: { queue: 'parcels-b', data: 'gone' },
          })
          .catch(() => undefined);
      },
      { database: db },
    );
    expect(await outboxRows('parcels-b')).toHaveLength(2);
  });

  it('bulkCreate and saveAll add one message for the whole write', async () => {
    const parcels = repository(Parcel, db, { outbox });
    await parcels.bulkCreate([Parcel.create({ label: 'b1' }), Parcel.create({ label: 'b2' })], {
      message: { queue: 'parcels-c', data: { count: 2 }, type: 'ParcelsImported' },
    });
    await parcels.saveAll([Parcel.create({ label: 's1' }), Parcel.create({ label: 's2' })], {
      message: { queue: 'parcels-c', data: { count: 2 }, type: 'ParcelsSaved' },
    });
    expect((await outboxRows('parcels-c')).map((r) => r.type).sort()).toEqual([
      'ParcelsImported',
      'ParcelsSaved',
    ]);
  });

  it('without an outbox a message is a UsageError NO_OUTBOX naming the model', async () => {
    const parcels = repository(Parcel, db);
    const error = await parcels
      .save(Parcel.create({ label: 'x' }), { message: { queue: 'q', data: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('NO_OUTBOX');
    expect((error as Error).message.split('\n')[0]).toMatch(
      /^parcel repository\.save: options\.message needs an outbox/,
    );
    await expect(
      repository(Parcel, db, { outbox }).save(Parcel.create({ label: 'x' }), {
        message: { queue: 'q', data: 1, delay: 5 } as never,
      }),
    ).rejects.toThrow('parcel repository.save: message.delay unknown option');
    expect(() => repository(Parcel, db, { outbox: {} as never })).toThrow(
      'repository: outbox must have an addMessage method',
    );
  });
});

describe.skipIf(!available)('repository messages published by the relay', () => {
  let broker: RabbitMqBroker;
  let inspector: QueueInspector;
  beforeAll(async () => {
    broker = await Broker_.connect(testSettings({ queuePrefix: prefix }));
    inspector = await QueueInspector.open();
    // The rows of the tests above are not for this relay.
    await db.execute('DELETE FROM libretto_outbox');
  });
  afterAll(async () => {
    await broker?.close();
    await inspector?.close();
  });

  it('through DI: published after the commit, never after a rollback', async () => {
    const queue = 'parcels';
    inspector.track(
      ...[
        queue,
        `${queue}.dead-letter`,
        ...[1000, 2000, 4000].map((ms) => `${queue}.retry.${ms}`),
      ].map((q) => broker.queueName(q)),
    );
    const Parcels = token<RepositoryOf<typeof Parcel>>('Parcels');
    const app = new Application(new OutboxService(), new OutboxRelay({ pollInterval: 50 }), {
      providers: [
        provide(Database, { value: db }),
        provide(Broker, { value: broker }),
        provideRepository(Parcels, Parcel, { outbox: Outbox }),
      ],
      logger: createLogger({ level: 'silent' }),
    });
    await app.start();
    try {
      const received = await Received.on(broker, queue);
      const parcels = await app.container.get(Parcels);
      let heldId = '';
      await transactional(
        async () => {
          const p = await parcels.save(Parcel.create({ label: 'held' }), {
            message: { queue, data: { seq: 0 }, key: 'k' },
          });
          heldId = p.entityId;
          // Uncommitted: no relay can see it, however long the transaction stays open.
          await new Promise((r) => setTimeout(r, 100));
          expect(received.count).toBe(0);
        },
        { database: db },
      );
      await expect(
        transactional(
          async () => {
            await parcels.save(Parcel.create({ label: 'rolled back' }), {
              message: { queue, data: { seq: 99 }, key: 'k', type: 'Never' },
            });
            throw new Error('rollback');
          },
          { database: db },
        ),
      ).rejects.toThrow('rollback');
      await parcels.save(Parcel.create({ label: 'after' }), {
        message: { queue, data: { seq: 1 }, key: 'k' },
      });
      await eventually(() => received.distinct === 2);
      expect(heldId).not.toBe('');
      expect(received.byKey.get('k')).toEqual([0, 1]);
      expect(received.orderViolations()).toEqual([]);
      await received.consumer?.stop();
    } finally {
      await app.stop();
    }
  });
});
