// DynamoDB repository benchmark on dynalite (in memory, in a child process so that the CPU per
// operation is the client's; with the test server's TransactWriteItems): a versioned `person` model (Big 6 + 4 fields, `<table>_audit`), 1,000
// entities. Side by side, in one run:
//   libretto repository (libretto/dynamodb)  ·  the bare DocumentClient sending the same
//   commands, written by hand (the ceiling)
// for get by id, and a versioned save (the item on the condition of the version read and the
// version's item, in one TransactWriteItems). dynalite answers on the same machine, so the
// figures weigh client CPU far more than a real DynamoDB's network round trip would.
//   benchDynamo()     BENCH_SECONDS (3 per contender and round), BENCH_ROUNDS (3)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { model, SchemaRegistry } from 'libretto/data';
import { DynamoStore } from 'libretto/dynamodb';
import { z } from 'zod';
import {
  drive,
  type Result,
  type RoundContender,
  resultHeader,
  resultLine,
  rounds,
} from '../rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = 1_000;
const CALLERS = 8;

const Person = model(
  'person',
  { firstName: z.string(), lastName: z.string(), email: z.string(), age: z.int32().nullable() },
  { versioned: true },
);
type Person = model.Infer<typeof Person>;

interface Setup {
  readonly store: DynamoStore;
  readonly documents: DynamoDBDocumentClient;
  readonly table: string;
  readonly audit: string;
  readonly ids: readonly string[];
}

type Maker = (setup: Setup) => { op: () => Promise<unknown> };

function contender(name: string, setup: Setup, make: Maker): RoundContender {
  return {
    name,
    async open() {
      const { op } = make(setup);
      return { run: () => drive(op, CALLERS, SECONDS), close: async () => {} };
    },
  };
}

/** Entities a contender saves, each held by one caller at a time (no conflicts). */
function savesOf(entities: Person[]): (save: (p: Person) => Promise<Person>) => Promise<void> {
  const free = [...entities];
  return async (save) => {
    const p = free.pop() as Person;
    try {
      free.unshift(await save(p));
    } catch (error) {
      free.unshift(p);
      throw error;
    }
  };
}

async function section(title: string, contenders: RoundContender[]): Promise<void> {
  const rows: [string, Result][] = await rounds(contenders, ROUNDS);
  console.log(`\n${title}`);
  console.log(resultHeader('libretto / bare'));
  const bare = rows.find(([name]) => name.startsWith('bare'))?.[1];
  for (const [name, r] of rows) {
    const ratio =
      bare === undefined || name.startsWith('bare')
        ? ''
        : `${((r.ops / bare.ops) * 100).toFixed(0)} %`;
    console.log(resultLine(name, r, ratio));
  }
}

/** Prints get by id and versioned save, Libretto beside the bare document client. */
export async function benchDynamo(): Promise<void> {
  const server = await startDynaliteProcess();
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const store = await DynamoStore.open({
    endpoint: server.endpoint,
    region: 'us-east-1',
    ...credentials,
    tablePrefix: 'bench_',
    env: {},
  });
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials,
  });
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  try {
    await store.prepare(new SchemaRegistry([Person]));
    const people = store.repository(Person);
    const created: Person[] = [];
    for (let i = 0; i < ROWS; i += 50) {
      const batch = Array.from({ length: Math.min(50, ROWS - i) }, (_, k) =>
        Person.create({
          firstName: `F${i + k}`,
          lastName: 'Lovelace',
          email: `p${i + k}@x.io`,
          age: 30,
        }),
      );
      created.push(...(await people.bulkCreate(batch)));
    }
    const setup: Setup = {
      store,
      documents,
      table: people.tables.table,
      audit: people.tables.versions as string,
      ids: created.map((p) => p.entityId),
    };
    let next = 0;
    const anyId = () => setup.ids[next++ % setup.ids.length] as string;
    console.log(
      `DynamoDB on dynalite ${ROWS} entities, ${CALLERS} callers, ${SECONDS} s × ${ROUNDS} rounds`,
    );

    await section('get by id', [
      contender('libretto repository.get', setup, ({ store }) => {
        const repo = store.repository(Person);
        return { op: () => repo.get(anyId()) };
      }),
      contender('bare DocumentClient GetCommand', setup, ({ documents, table }) => ({
        op: async () => {
          const out = await documents.send(
            new GetCommand({ TableName: table, Key: { entity_id: anyId() }, ConsistentRead: true }),
          );
          if (out.Item === undefined || out.Item.active !== true) throw new Error('not found');
          return out.Item;
        },
      })),
    ]);

    const half = Math.floor(created.length / 2);
    await section('versioned save (+ version item)', [
      contender('libretto repository.save', setup, ({ store }) => {
        const repo = store.repository(Person);
        const saving = savesOf(created.slice(0, half));
        return { op: () => saving((p) => repo.save({ ...p, age: (p.age ?? 0) + 1 })) };
      }),
      contender('bare DocumentClient TransactWrite', setup, ({ documents, table, audit }) => {
        const saving = savesOf(created.slice(half));
        return {
          op: () =>
            saving(async (p) => {
              const saved = {
                ...p,
                version: randomUUID(),
                previousVersion: p.version,
                changedOn: new Date(),
                changedById: null,
                age: (p.age ?? 0) + 1,
              };
              const item = {
                entity_id: saved.entityId,
                version: saved.version,
                previous_version: saved.previousVersion,
                changed_on: saved.changedOn.toISOString(),
                active: true,
                first_name: saved.firstName,
                last_name: saved.lastName,
                email: saved.email,
                age: saved.age,
              };
              await documents.send(
                new TransactWriteCommand({
                  TransactItems: [
                    {
                      Put: {
                        TableName: table,
                        Item: item,
                        ConditionExpression: '#v = :read',
                        ExpressionAttributeNames: { '#v': 'version' },
                        ExpressionAttributeValues: { ':read': p.version },
                        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                      },
                    },
                    { Put: { TableName: audit, Item: item } },
                  ],
                }),
              );
              return saved;
            }),
        };
      }),
    ]);
  } finally {
    store.close();
    client.destroy();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchDynamo();

/** dynalite in a child process (its CPU is not the client's); `close` ends it. */
async function startDynaliteProcess(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL('./dynalite-child.ts', import.meta.url))],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = await new Promise<string[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (l) => resolve([l]));
  });
  const { endpoint } = JSON.parse(line as string) as { endpoint: string };
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
