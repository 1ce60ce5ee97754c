import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createRemoteEngines,
  isRetryableConflict,
  Surreal,
  type SurrealTransaction,
} from 'surrealdb';
import type { SchemaRegistry } from '../data/schema-registry.js';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { UsageError } from '../errors/usage-error.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { maskSecrets } from '../internal/redaction.js';
import { mapSurrealError } from './surreal-errors.js';
import { prepareSchema } from './surreal-schema.js';
import {
  isEmbedded,
  resolveSurrealSettings,
  type SurrealSettings,
  type SurrealSettingsInput,
  shownEndpoint,
} from './surreal-settings.js';

type Bindings = Record<string, unknown>;

/** The transaction the current async context runs in, and the database that opened it. */
interface Ambient {
  readonly database: SurrealDatabase;
  readonly transaction: SurrealTransaction;
  closed: boolean;
}

const ambient = new AsyncLocalStorage<Ambient>();

/**
 * Retries of a write SurrealDB refused for a conflict with another transaction. Matched by
 * message too: servers before 3.1 (the embedded 3.0 among them) report conflicts without the
 * structured kind the SDK looks for.
 */
const RETRY = {
  attempts: 100,
  retryDelay: 1,
  retryDelayMax: 50,
  retryable: (error: unknown) =>
    isRetryableConflict(error) ||
    /transaction conflict|retry the transaction/i.test(String((error as Error)?.message)),
};

/** The verb of a statement, for messages (`UPDATE`, `SELECT`). */
function verbOf(text: string): string {
  return /^\s*(?:\{\s*)?(?:LET \$\w+ = \(\s*)?([A-Z]+)/.exec(text)?.[1] ?? 'query';
}

/**
 * One connection to SurrealDB: embedded (`mem://`, `surrealkv://`, with `@surrealdb/node`, loaded
 * only then) or a server by URL (`ws://`, `http://`), signed in and using one namespace and
 * database. Statements run in the ambient transaction of {@link transaction} when there is
 * one — an interactive SurrealDB transaction: reads inside it see its writes. Errors come back
 * typed (a duplicate in a unique index is an AlreadyExistsError), naming the endpoint, never
 * the password.
 *
 * @example
 * const db = await SurrealDatabase.connect({ endpoint: 'mem://', namespace: 'app', database: 'app' });
 * await db.prepare(new SchemaRegistry([Person]));
 * const people = surrealRepository(Person, db);
 */
export class SurrealDatabase {
  /** The SDK's client, for SurrealQL of your own (`db.client.query(…)`). */
  readonly client: Surreal;
  readonly settings: SurrealSettings;
  #registry: SchemaRegistry | undefined;
  #closed = false;

  /** @internal Use {@link SurrealDatabase.connect}. */
  constructor(client: Surreal, settings: SurrealSettings) {
    this.client = client;
    this.settings = settings;
  }

  /**
   * Connects, signs in (when a user is given) and uses the namespace and database. A failure is
   * a DependencyUnavailableError `DATABASE_CONNECT_FAILED` naming the endpoint (password masked).
   */
  static async connect(options: SurrealSettingsInput = {}): Promise<SurrealDatabase> {
    const settings = resolveSurrealSettings({}, options);
    const embedded = isEmbedded(settings.endpoint);
    const engines = embedded
      ? {
          ...createRemoteEngines(),
          ...(
            await importOptionalPeer(
              '@surrealdb/node',
              'An embedded SurrealDB (mem://)',
              () => import('@surrealdb/node'),
            )
          ).createNodeEngines(),
        }
      : createRemoteEngines();
    const client = new Surreal({ engines });
    const { user, password, namespace, database } = settings;
    try {
      await client.connect(settings.endpoint, {
        namespace,
        database,
        ...(user === undefined
          ? {}
          : { authentication: { username: user, password: password ?? '' } }),
      });
      await client.use({ namespace, database });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw SurrealDatabase.#connectFailed(settings, error);
    }
    return new SurrealDatabase(client, settings);
  }

  static #connectFailed(settings: SurrealSettings, error: unknown): DependencyUnavailableError {
    let reason = error instanceof Error ? error.message : String(error);
    if (settings.password) reason = reason.replaceAll(settings.password, '***');
    return new DependencyUnavailableError(
      `SurrealDB at ${shownEndpoint(settings.endpoint)} (namespace ${settings.namespace}, database ${settings.database}) cannot be reached: ${maskSecrets(reason)}`,
      {
        code: 'DATABASE_CONNECT_FAILED',
        cause: error,
        details: [{ endpoint: shownEndpoint(settings.endpoint), namespace: settings.namespace }],
      },
    );
  }

  /** The registry {@link prepare} was last given: repositories made without `schema` use its relations. */
  get registry(): SchemaRegistry | undefined {
    return this.#registry;
  }

  /** Whether the current async context runs in a transaction of this database. */
  get inTransaction(): boolean {
    return ambient.getStore()?.database === this;
  }

  /**
   * Defines what the registry's models need: a table each (and `<table>_audit`), unique
   * indexes (among live entities), indexes, an index on each record-link field, and an edge
   * table per many-to-many relation. Idempotent. Models with `checks` are refused (UsageError
   * `SURREAL_UNSUPPORTED`): SurrealDB cannot run SQL text.
   */
  async prepare(registry: SchemaRegistry): Promise<void> {
    const text = prepareSchema(registry);
    if (text !== '') await this.query(text);
    this.#registry = registry;
  }

  /** Runs SurrealQL (in the ambient transaction, if any); the result of each statement. */
  query<T extends unknown[] = unknown[]>(text: string, bindings?: Bindings): Promise<T> {
    let tx: SurrealTransaction | undefined;
    try {
      tx = this.#transaction();
    } catch (error) {
      return Promise.reject(error);
    }
    const source = tx ?? this.client;
    return (source.query(text, bindings) as unknown as Promise<T>).catch((error: unknown) => {
      throw mapSurrealError(error, verbOf(text));
    });
  }

  /**
   * Runs one write statement (a `{ … }` block is one statement, so atomic). Outside a
   * transaction it is sent again when SurrealDB reports a write conflict, which its conditions
   * then see (a stale version writes nothing).
   */
  write<T extends unknown[] = unknown[]>(text: string, bindings?: Bindings): Promise<T> {
    if (ambient.getStore()?.database === this) return this.query<T>(text, bindings);
    return (this.client.query(text, bindings).retry(RETRY) as unknown as Promise<T>).catch(
      (error: unknown) => {
        throw mapSurrealError(error, verbOf(text));
      },
    );
  }

  /**
   * Runs `work` in one interactive SurrealDB transaction: committed when it returns, cancelled
   * when it throws. Every statement inside (repositories included) joins it; a transaction
   * inside another joins the outer one (SurrealDB has no savepoints).
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#closedError();
    if (this.inTransaction) return work();
    let tx: SurrealTransaction;
    try {
      tx = await this.client.beginTransaction();
    } catch (error) {
      throw mapSurrealError(error, 'BEGIN');
    }
    const state: Ambient = { database: this, transaction: tx, closed: false };
    let result: T;
    try {
      result = await ambient.run(state, work);
    } catch (error) {
      state.closed = true;
      await tx.cancel().catch(() => undefined);
      throw error;
    }
    state.closed = true;
    try {
      await tx.commit();
    } catch (error) {
      throw mapSurrealError(error, 'COMMIT');
    }
    return result;
  }

  /** Throws unless SurrealDB answers. */
  async health(): Promise<void> {
    try {
      await this.client.query('RETURN 1');
    } catch (error) {
      throw new DependencyUnavailableError(
        `SurrealDB at ${shownEndpoint(this.settings.endpoint)} does not answer`,
        { code: 'DB_UNAVAILABLE', cause: error },
      );
    }
  }

  /** Closes the connection (an embedded database is gone with it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.client.close();
  }

  #transaction(): SurrealTransaction | undefined {
    const state = ambient.getStore();
    if (state === undefined || state.database !== this) return undefined;
    if (state.closed) {
      throw new UsageError(
        'SurrealDB work ran after its transaction ended (a promise not awaited inside it)',
        { code: 'TRANSACTION_ENDED' },
      );
    }
    return state.transaction;
  }

  #closedError(): UsageError {
    return new UsageError(`SurrealDB at ${shownEndpoint(this.settings.endpoint)} is closed`, {
      code: 'POOL_CLOSED',
    });
  }
}
