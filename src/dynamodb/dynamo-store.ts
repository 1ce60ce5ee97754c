import { AsyncLocalStorage } from 'node:async_hooks';
import type * as Client from '@aws-sdk/client-dynamodb';
import type * as Documents from '@aws-sdk/lib-dynamodb';
import type { Model, TableModel } from '../data/model.js';
import type { Fields, ModelOptions } from '../data/model-types.js';
import { SchemaRegistry } from '../data/schema-registry.js';
import { ConflictError } from '../errors/domain-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { UsageError } from '../errors/usage-error.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import type { DynamoAccess } from './dynamo-access.js';
import { mapDynamoError } from './dynamo-errors.js';
import {
  conditionFailure,
  DynamoRepository,
  type DynamoRepositoryOptions,
} from './dynamo-repository.js';
import {
  DYNAMODB_SETTING_KEYS,
  type DynamoSettings,
  describeDynamo,
  resolveDynamoSettings,
} from './dynamo-settings.js';
import { type IndexLayout, type KeyAttribute, TableLayouts } from './dynamo-tables.js';
import { DynamoTransaction } from './dynamo-transaction.js';

type ClientSdk = typeof Client;
type DocumentSdk = typeof Documents;

/** Guarantees of a model DynamoDB does not enforce, which `prepare` accepts only when named. */
export type Unenforced = 'unique' | 'checks' | 'foreign-keys';

/** Options of {@link DynamoStore.prepare}. */
export interface PrepareOptions {
  /**
   * Model guarantees to accept unenforced: `unique` (DynamoDB has no unique index), `checks`
   * (SQL text), `foreign-keys` (belongsTo with `references`). Without, a model asking for one
   * is refused (UsageError `DYNAMODB_UNSUPPORTED_MODEL`) rather than silently not enforced.
   */
  readonly unenforced?: readonly Unenforced[];
}

/** Options of {@link DynamoStore.open}: any setting, and the environment to read `AWS_REGION` from. */
export type DynamoStoreOptions = {
  readonly [K in keyof DynamoSettings]?: DynamoSettings[K] | undefined;
} & {
  readonly env?: Readonly<Record<string, string | undefined>>;
};

const OPEN_KEYS = new Set([...DYNAMODB_SETTING_KEYS, 'env']);
const PREPARE_KEYS = new Set(['unenforced']);
const UNENFORCED = new Set<string>(['unique', 'checks', 'foreign-keys']);
const RAW_ERRORS = new Set(['ConditionalCheckFailedException', 'TransactionCanceledException']);

/** Loads both SDK packages (optional peers) on first use. */
async function loadSdk(): Promise<[ClientSdk, DocumentSdk]> {
  return Promise.all([
    importOptionalPeer(
      '@aws-sdk/client-dynamodb',
      'libretto/dynamodb',
      () => import('@aws-sdk/client-dynamodb'),
    ),
    importOptionalPeer(
      '@aws-sdk/lib-dynamodb',
      'libretto/dynamodb',
      () => import('@aws-sdk/lib-dynamodb'),
    ),
  ]);
}

/**
 * A DynamoDB database: the document client (region, endpoint and credentials from the
 * settings or the AWS chain), table creation for models (`prepare`), repositories, and the
 * ambient transaction — every repository write inside `transaction()` is collected and sent
 * as one TransactWriteItems when the work ends (at most 100 items), nothing when it throws.
 *
 * @example
 * const store = await DynamoStore.open({ region: 'eu-west-1' });
 * await store.prepare(new SchemaRegistry([Person]));
 * const people = store.repository(Person);
 * await store.transaction(async () => { await people.save(a); await people.save(b); });
 */
export class DynamoStore implements DynamoAccess {
  readonly settings: DynamoSettings;
  readonly sdk: DocumentSdk;
  readonly tables: TableLayouts;
  /** The low-level client (commands of `@aws-sdk/client-dynamodb`). */
  readonly client: Client.DynamoDBClient;
  /** The document client the repositories use (plain values in, plain values out). */
  readonly documents: Documents.DynamoDBDocumentClient;
  readonly #client: ClientSdk;
  readonly #where: string;
  readonly #transactions = new AsyncLocalStorage<DynamoTransaction>();
  #closed = false;

  /** @internal Use {@link DynamoStore.open} (or `DynamoService`): the SDK is loaded there. */
  constructor(settings: DynamoSettings, client: ClientSdk, documents: DocumentSdk) {
    this.settings = settings;
    this.sdk = documents;
    this.#client = client;
    this.#where = describeDynamo(settings);
    this.tables = new TableLayouts(settings.tablePrefix);
    const timeout = settings.requestTimeout * 1000;
    this.client = new client.DynamoDBClient({
      ...(settings.region === undefined ? {} : { region: settings.region }),
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(settings.accessKeyId === undefined || settings.secretAccessKey === undefined
        ? {}
        : {
            credentials: {
              accessKeyId: settings.accessKeyId,
              secretAccessKey: settings.secretAccessKey,
              ...(settings.sessionToken === undefined
                ? {}
                : { sessionToken: settings.sessionToken }),
            },
          }),
      maxAttempts: settings.maxAttempts,
      // The SDK's own handler and keep-alive agent: custom agents cost a tenth of a get's
      // throughput in bench/documents/dynamodb.ts.
      requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
    });
    this.documents = documents.DynamoDBDocumentClient.from(this.client, {
      marshallOptions: { removeUndefinedValues: true },
      unmarshallOptions: {
        // Exact numbers: a bigint field beyond 2^53 stays a bigint.
        wrapNumbers: (text: string) => {
          const n = Number(text);
          return Number.isSafeInteger(n) || !/^-?\d+$/.test(text) ? n : BigInt(text);
        },
      },
    });
  }

  /** Opens a store: settings from `options`, the region from `AWS_REGION` when not given, defaults. */
  static async open(options: DynamoStoreOptions = {}): Promise<DynamoStore> {
    rejectUnknownKeys('DynamoStore.open', options, OPEN_KEYS);
    const { env = process.env, ...explicit } = options;
    return DynamoStore.fromSettings(resolveDynamoSettings({}, explicit, env));
  }

  /** A store on settings already resolved (`DynamoService` resolves them from the config). */
  static async fromSettings(settings: DynamoSettings): Promise<DynamoStore> {
    const [client, documents] = await loadSdk();
    return new DynamoStore(settings, client, documents);
  }

  /** `DynamoDB at …` / `DynamoDB in …`: how errors and logs name this store. */
  get description(): string {
    return this.#where;
  }

  /** The repository of a model in this store. */
  repository<N extends string, F extends Fields, O extends ModelOptions<F>>(
    model: Model<N, F, O>,
    options?: DynamoRepositoryOptions,
  ): DynamoRepository<N, F, O> {
    return new DynamoRepository(model, this, options);
  }

  async send<T>(command: object, table: string | undefined): Promise<T> {
    if (this.#closed) {
      throw new UsageError(`${this.#where}: the store is closed`, { code: 'DYNAMODB_CLOSED' });
    }
    try {
      return (await this.documents.send(command as never)) as T;
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (RAW_ERRORS.has(name)) throw error;
      throw mapDynamoError(error, this.#where, table, name === 'TimeoutError');
    }
  }

  current(): DynamoTransaction | undefined {
    return this.#transactions.getStore();
  }

  /**
   * Runs `work` with every repository write of this store inside it collected, then sends them
   * as one TransactWriteItems: all written or none. Inside another transaction, joins it.
   * Reads inside do not see its writes (they are not sent yet).
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.current() !== undefined) return work();
    const tx = new DynamoTransaction();
    const result = await this.#transactions.run(tx, work);
    const writes = tx.writes();
    if (writes.length === 0) return result;
    try {
      await this.send(
        new this.sdk.TransactWriteCommand({ TransactItems: writes.map((w) => w.item) } as never),
        undefined,
      );
    } catch (error) {
      const failed = conditionFailure(error, writes);
      if (failed !== undefined) throw failed.error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (reasons?.some((r) => r.Code === 'TransactionConflict')) {
        throw new ConflictError(
          `Another transaction was writing the same item at ${this.#where}: try again`,
          { code: 'DYNAMODB_TRANSACTION_CONFLICT', cause: error },
        );
      }
      throw mapDynamoError(error, this.#where, undefined);
    }
    for (const w of writes) w.committed?.();
    return result;
  }

  /**
   * Creates the tables the models of `registry` need and lack (their `<table>_audit`, their
   * indexes, the association tables of many-to-many relations), pay per request, and waits
   * until they are active. Existing tables are left as they are.
   */
  async prepare(
    registry: SchemaRegistry | readonly TableModel[],
    options: PrepareOptions = {},
  ): Promise<void> {
    rejectUnknownKeys('DynamoStore.prepare', options, PREPARE_KEYS);
    const accepted = new Set(options.unenforced ?? []);
    for (const u of accepted) {
      if (!UNENFORCED.has(u))
        invalidOption(
          'DynamoStore.prepare',
          'unenforced',
          `"${u}" is not unique, checks or foreign-keys`,
        );
    }
    const schema = registry instanceof SchemaRegistry ? registry : new SchemaRegistry(registry);
    const tables: {
      name: string;
      hash: KeyAttribute;
      range: KeyAttribute | undefined;
      indexes: readonly IndexLayout[];
    }[] = [];
    for (const model of schema.models) {
      refuseUnenforced(model, schema, accepted);
      const layout = this.tables.of(model, schema);
      tables.push({
        name: layout.table,
        hash: layout.hash,
        range: layout.range,
        indexes: layout.indexes,
      });
      if (layout.versions !== undefined) {
        const version = model.column('version');
        tables.push({
          name: layout.versions,
          hash: layout.hash,
          range: { name: 'version', type: 'S', column: version as NonNullable<typeof version> },
          indexes: [],
        });
      }
      for (const r of schema.relationsOf(model).values()) {
        if (r.kind !== 'manyToMany') continue;
        const pair = this.tables.pairs(r);
        if (tables.some((t) => t.name === pair.table)) continue;
        tables.push({
          name: pair.table,
          hash: pair.hash,
          range: pair.range,
          indexes: [pair.reverse],
        });
      }
    }
    await Promise.all(tables.map((t) => this.#createTable(t.name, t.hash, t.range, t.indexes)));
  }

  async #createTable(
    name: string,
    hash: KeyAttribute,
    range: KeyAttribute | undefined,
    indexes: readonly IndexLayout[],
  ): Promise<void> {
    const { CreateTableCommand, DescribeTableCommand } = this.#client;
    const attributes = new Map<string, string>();
    const keySchema = (h: KeyAttribute, r: KeyAttribute | undefined) => {
      attributes.set(h.name, h.type);
      if (r !== undefined) attributes.set(r.name, r.type);
      return [
        { AttributeName: h.name, KeyType: 'HASH' as const },
        ...(r === undefined ? [] : [{ AttributeName: r.name, KeyType: 'RANGE' as const }]),
      ];
    };
    const input: Client.CreateTableCommandInput = {
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: keySchema(hash, range),
      AttributeDefinitions: [],
      ...(indexes.length === 0
        ? {}
        : {
            GlobalSecondaryIndexes: indexes.map((i) => ({
              IndexName: i.name,
              KeySchema: keySchema(i.hash, i.range),
              Projection: { ProjectionType: 'ALL' as const },
            })),
          }),
    };
    input.AttributeDefinitions = [...attributes].map(([n, t]) => ({
      AttributeName: n,
      AttributeType: t as 'S' | 'N',
    }));
    try {
      await this.client.send(new CreateTableCommand(input));
    } catch (error) {
      // Made by another process meanwhile, or there already: left as it is.
      if ((error as { name?: string }).name !== 'ResourceInUseException') {
        throw mapDynamoError(error, this.#where, name);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const out = await this.client
        .send(new DescribeTableCommand({ TableName: name }))
        .catch((error: unknown) => {
          throw mapDynamoError(error, this.#where, name);
        });
      const ready =
        out.Table?.TableStatus === 'ACTIVE' &&
        (out.Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 1000)));
    }
  }

  /** A cheap request that needs DynamoDB to answer and accept the credentials (lists one table). */
  async ping(): Promise<void> {
    await this.client
      .send(new this.#client.ListTablesCommand({ Limit: 1 }))
      .catch((error: unknown) => {
        throw mapDynamoError(error, this.#where, undefined);
      });
  }

  /** Closes the client's connections; later calls fail with UsageError `DYNAMODB_CLOSED`. */
  close(): void {
    this.#closed = true;
    this.client.destroy();
  }
}

function refuseUnenforced(
  model: TableModel,
  schema: SchemaRegistry,
  accepted: ReadonlySet<string>,
): void {
  const refuse = (what: Unenforced, why: string) => {
    if (accepted.has(what)) return;
    throw new UsageError(
      `${model.name}: ${why}, which DynamoDB does not enforce; prepare(…, { unenforced: ['${what}'] }) accepts that`,
      { code: 'DYNAMODB_UNSUPPORTED_MODEL', details: [{ model: model.name, unenforced: what }] },
    );
  };
  if (model.constraints.unique.length > 0) refuse('unique', 'the model declares unique fields');
  if (model.constraints.checks.length > 0) refuse('checks', 'the model declares checks');
  for (const r of schema.relationsOf(model).values()) {
    if (r.kind === 'belongsTo' && r.constraint !== undefined) {
      refuse('foreign-keys', `relation ${r.name} references ${r.target.name} (a foreign key)`);
    }
  }
}
