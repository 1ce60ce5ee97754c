import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { Database } from '../postgres/database.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { createEnvelope } from './message-envelope.js';
import {
  ensureOutboxTable,
  OUTBOX_TABLE,
  outboxChannel,
  outboxTableError,
  quoteOutboxTable,
} from './outbox-table.js';
import { checkQueueName } from './queue-name.js';

/** What travels with an outbox message beside its payload (as `Broker.send` takes it). */
export interface OutboxAddOptions {
  /** The ordering key: messages of one key are published in the order they were committed. */
  readonly key?: string | null | undefined;
  /** What the message means (`OrderPlaced`). */
  readonly type?: string | null | undefined;
  /** Free string metadata. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The message id (a new UUID by default): a consumer's inbox dedupes on it. */
  readonly id?: string | undefined;
}

/**
 * A message as a repository write gives it (`repository.save(entity, { message })`): the
 * queue and payload with the options of `add`.
 */
export interface OutboxMessage extends OutboxAddOptions {
  readonly queue: string;
  readonly data: unknown;
}

/** Where an {@link Outbox} writes. */
export interface OutboxOptions {
  /** The table (`libretto_outbox`; `schema.table` allowed). */
  readonly table?: string;
}

const ADD_KEYS = new Set(['key', 'type', 'headers', 'id']);
const OPTION_KEYS = new Set(['table']);
// As `RabbitMqBroker` accepts: the relay must be able to send what was added.

/**
 * The transactional outbox: `add` writes a message into the outbox table through the
 * database, so inside `transactional()` it commits or rolls back with the business data, and
 * a relay (`OutboxRelay`) publishes it after the commit — at least once, in order per key.
 * Provided by `OutboxService` (APP scope).
 *
 * @example
 * await transactional(async () => {
 *   await db.execute(sql`INSERT INTO orders (id) VALUES (${id})`);
 *   await outbox.add('orders', { orderId: id }, { key: `order-${id}`, type: 'OrderPlaced' });
 * });
 */
export class Outbox {
  readonly #db: Database;
  readonly #table: string;
  readonly #insert: string;
  readonly #channel: string;

  constructor(db: Database, options: OutboxOptions = {}) {
    rejectUnknownKeys('Outbox', options, OPTION_KEYS);
    const table = options.table ?? OUTBOX_TABLE;
    const t = quoteOutboxTable('Outbox', table);
    this.#db = db;
    this.#table = table;
    this.#channel = outboxChannel(table);
    // The notification is delivered at commit, and not at all on rollback, as the row.
    this.#insert =
      `WITH m AS (INSERT INTO ${t} (message_id, queue, key, type, headers, payload, created_at) ` +
      'VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) RETURNING id) ' +
      'SELECT pg_notify($8, $9) FROM m';
  }

  /** Creates the outbox table unless it exists (tests, small apps; otherwise a migration). */
  static ensureTable(db: Database, table: string = OUTBOX_TABLE): Promise<void> {
    return ensureOutboxTable(db, table);
  }

  /** The table written to. */
  get table(): string {
    return this.#table;
  }

  /** The `LISTEN` channel the relay is woken on. */
  get channel(): string {
    return this.#channel;
  }

  /**
   * Adds a message for `queue` in the current transaction (alone when there is none) and
   * resolves with its id. Bad input is a `UsageError` (`INVALID_OPTION`) naming the field;
   * a missing table `OUTBOX_TABLE_MISSING`.
   */
  add<T>(queue: string, data: T, options: OutboxAddOptions = {}): Promise<string> {
    return this.#add(this.#db, `outbox.add(${String(queue)})`, queue, data, options);
  }

  /**
   * Adds `message` through `db` — the transaction of a repository write — and resolves with
   * its id. What `repository.save(entity, { message })` calls: `Outbox` is the repository's
   * `outbox` (`provideRepository(People, Person, { outbox: Outbox })`).
   */
  async addMessage(db: DatabaseAdapter, message: OutboxMessage): Promise<string> {
    if (typeof message !== 'object' || message === null) {
      invalidOption('outbox.addMessage', 'message', 'must be an object { queue, data, … }');
    }
    const { queue, data, ...options } = message;
    return this.#add(db, `outbox.addMessage(${String(queue)})`, queue, data, options);
  }

  async #add(
    db: DatabaseAdapter,
    where: string,
    queue: string,
    data: unknown,
    options: OutboxAddOptions,
  ): Promise<string> {
    checkQueueName(where, queue);
    checkOptions(where, options);
    const payload = toJson(where, data);
    const e = createEnvelope(data, options);
    try {
      await db.execute(this.#insert, [
        e.id,
        queue,
        e.key,
        e.type,
        JSON.stringify(e.headers),
        payload,
        e.createdAt,
        this.#channel,
        '',
      ]);
    } catch (error) {
      throw outboxTableError(error, this.#table);
    }
    return e.id;
  }
}

function checkOptions(where: string, options: OutboxAddOptions): void {
  if (typeof options !== 'object' || options === null)
    invalidOption(where, 'options', 'must be an object');
  rejectUnknownKeys(where, options, ADD_KEYS);
  for (const field of ['key', 'type'] as const) {
    const value = options[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || value === '')) {
      invalidOption(where, field, 'must be a non-empty string or null');
    }
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
    invalidOption(where, 'id', 'must be a non-empty string');
  }
  const headers = options.headers;
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      invalidOption(where, 'headers', 'must be an object of strings');
    }
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') invalidOption(where, `headers.${name}`, 'must be a string');
    }
  }
}

/** The payload as JSON text: what the relay will send must survive the round trip. */
function toJson(where: string, data: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    invalidOption(where, 'data', `cannot be written as JSON (${(error as Error).message})`);
  }
  if (text === undefined) invalidOption(where, 'data', `must be a JSON value, not ${typeof data}`);
  return text;
}
