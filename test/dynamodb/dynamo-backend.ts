// DynamoDB as a store of the repository conformance suite: one dynalite per test file, a table
// prefix of its own per open(), so files and opens never share a table.
import { randomUUID } from 'node:crypto';
import { DynamoStore } from 'libretto/dynamodb';
import type { StoreBackend, StoreGap } from '../data/repository-conformance.js';
import { type DynaliteServer, startDynalite } from './dynalite-server.js';

/** What DynamoDB lacks, each refused with a typed error (test/dynamodb/refusals.test.ts). */
export const DYNAMO_GAPS: ReadonlySet<StoreGap> = new Set<StoreGap>([
  'transactions-read-own-writes',
  'unique-constraints',
  'foreign-keys',
  'checks',
  'offset',
  'sort-any-field',
  'caseless-like',
]);

/** A store on a fresh table prefix of `server`, with test credentials. */
export function openDynamo(server: DynaliteServer, prefix = `t${randomUUID().slice(0, 8)}_`) {
  return DynamoStore.open({
    endpoint: server.endpoint,
    region: 'us-east-1',
    accessKeyId: 'test',
    secretAccessKey: 'test',
    tablePrefix: prefix,
    maxAttempts: 1,
  });
}

/** The conformance suite's backend: dynalite started on the first open, stopped with the last close. */
export function dynamoBackend(): StoreBackend {
  let server: Promise<DynaliteServer> | undefined;
  let open = 0;
  return {
    name: 'DynamoDB (dynalite)',
    gaps: DYNAMO_GAPS,
    async open() {
      server ??= startDynalite();
      const running = await server;
      const store = await openDynamo(running);
      open++;
      return {
        prepare: (registry) => store.prepare(registry),
        repository: (m, options) => store.repository(m, options),
        transaction: (work) => store.transaction(work),
        close: async () => {
          store.close();
          if (--open === 0) {
            server = undefined;
            await running.close();
          }
        },
      };
    },
  };
}
