import type { InjectionToken, Resolved } from '../di/token.js';
import { Token } from '../di/token.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { TransactionOptions } from '../postgres/database-adapter.js';
import type { ConsumeOptions, ReceivedMessage } from './broker.js';
import { INBOX_TABLE, quoteInboxTable } from './inbox-table.js';

/** Tokens a handler is given, resolved from the message's request scope, by name. */
export type Injections = Readonly<Record<string, InjectionToken<unknown>>>;

/** The resolved values of {@link Injections}. */
export type Injected<I extends Injections> = { -readonly [K in keyof I]: Resolved<I[K]> };

/** How a {@link MessageConsumer} keeps its inbox. */
export interface InboxOptions {
  /** The inbox table (`libretto_inbox`; `schema.table` allowed). */
  readonly table?: string;
  /** Records are deleted after this many milliseconds (7 days): longer than any redelivery. */
  readonly retention?: number;
  /** How often old records are deleted, in milliseconds (1 hour). */
  readonly purgeInterval?: number;
  /** Creates the table at start unless it exists (false: a migration creates it). */
  readonly ensureTable?: boolean;
}

/** What a {@link MessageConsumer} does with each message of its queue. */
export interface MessageConsumerOptions<T, I extends Injections> extends ConsumeOptions<T> {
  /** Dependencies resolved from the message's request scope, given to `handle` by name. */
  readonly inject?: I;
  /**
   * Handles one message. With the inbox, it runs in a transaction that also records the
   * message: its database writes (through the application's `Database`) commit with the
   * record or not at all. Resolving acknowledges the message; throwing rolls back and retries.
   */
  readonly handle: (message: ReceivedMessage<T>, deps: Injected<I>) => unknown;
  /** The consumer's name: its inbox records and its service name (default: the queue). */
  readonly name?: string;
  /**
   * Dedupe through the inbox table, in the handler's transaction (default on; needs
   * `Database`). `false`: no transaction, no inbox — the handler must be idempotent.
   */
  readonly inbox?: boolean | InboxOptions;
  /** Isolation and retries of the handler's transaction (see `transactional`). */
  readonly transaction?: TransactionOptions;
}

/** The inbox settings in effect, or `undefined` without an inbox. */
export interface ResolvedInbox {
  readonly table: string;
  readonly retention: number;
  readonly purgeInterval: number;
  readonly ensureTable: boolean;
}

/** Every default of {@link InboxOptions}. */
export const INBOX_DEFAULTS = Object.freeze({
  table: INBOX_TABLE,
  retention: 7 * 86_400_000,
  purgeInterval: 3_600_000,
  ensureTable: false,
});

const KEYS = new Set([
  'inject',
  'handle',
  'name',
  'inbox',
  'transaction',
  'prefetch',
  'retries',
  'backoff',
  'deadLetter',
  'schema',
  'format',
]);
const INBOX_KEYS = new Set(['table', 'retention', 'purgeInterval', 'ensureTable']);
// setTimeout's limit: a longer interval fires at once.
const MAX_MS = 2_147_483_647;

/**
 * Checks a consumer's options (a `UsageError` `INVALID_OPTION` whose first line names the
 * consumer and the option); the broker checks the `consume` ones when the consumer starts.
 */
export function resolveConsumerOptions(
  queue: string,
  options: MessageConsumerOptions<unknown, Injections>,
): { name: string; inbox: ResolvedInbox | undefined } {
  const where = `MessageConsumer(${String(queue)})`;
  if (typeof queue !== 'string' || queue === '') invalidOption(where, 'queue', 'must be a name');
  if (typeof options !== 'object' || options === null) {
    invalidOption(where, 'options', 'must be an object with a handle function');
  }
  rejectUnknownKeys(where, options, KEYS);
  if (typeof options.handle !== 'function') invalidOption(where, 'handle', 'must be a function');
  const name = options.name ?? queue;
  if (typeof name !== 'string' || name === '' || name.length > 200) {
    invalidOption(where, 'name', 'must be a non-empty string of at most 200 characters');
  }
  const inject = options.inject ?? {};
  if (typeof inject !== 'object' || inject === null) {
    invalidOption(where, 'inject', 'must be an object of tokens');
  }
  for (const [key, value] of Object.entries(inject)) {
    if (typeof value !== 'function' && !(value instanceof Token)) {
      invalidOption(where, `inject.${key}`, 'is not a token or class');
    }
  }
  const inbox = options.inbox ?? true;
  if (inbox === false) return { name, inbox: undefined };
  const o: InboxOptions = inbox === true ? {} : inbox;
  if (typeof o !== 'object' || o === null) {
    invalidOption(where, 'inbox', 'must be true, false or an object of inbox options');
  }
  rejectUnknownKeys(where, o, INBOX_KEYS, 'inbox.');
  const d = INBOX_DEFAULTS;
  const table = o.table ?? d.table;
  quoteInboxTable(where, table);
  if (o.ensureTable !== undefined && typeof o.ensureTable !== 'boolean') {
    invalidOption(where, 'inbox.ensureTable', 'must be true or false');
  }
  return {
    name,
    inbox: {
      table,
      retention: ms(where, 'inbox.retention', o.retention, 0, Number.MAX_SAFE_INTEGER, d.retention),
      purgeInterval: ms(where, 'inbox.purgeInterval', o.purgeInterval, 1, MAX_MS, d.purgeInterval),
      ensureTable: o.ensureTable ?? d.ensureTable,
    },
  };
}

/** The options `Broker.consume` takes, picked from a consumer's. */
export function consumeOptionsOf<T>(options: MessageConsumerOptions<T, Injections>) {
  const picked: { -readonly [K in keyof ConsumeOptions<T>]: ConsumeOptions<T>[K] } = {};
  if (options.prefetch !== undefined) picked.prefetch = options.prefetch;
  if (options.retries !== undefined) picked.retries = options.retries;
  if (options.backoff !== undefined) picked.backoff = options.backoff;
  if (options.deadLetter !== undefined) picked.deadLetter = options.deadLetter;
  if (options.schema !== undefined) picked.schema = options.schema;
  if (options.format !== undefined) picked.format = options.format;
  return picked as ConsumeOptions<T>;
}

function ms(
  where: string,
  path: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidOption(where, path, `must be a whole number of milliseconds from ${min} to ${max}`);
  }
  return value;
}
