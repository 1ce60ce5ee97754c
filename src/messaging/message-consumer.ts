import { Service } from '../core/service.js';
import { type Provider, supplied, supply } from '../di/provider.js';
import type { Requirement } from '../di/requirement.js';
import type { Scope } from '../di/scope.js';
import type { InjectionToken } from '../di/token.js';
import { Database } from '../postgres/database.js';
import { Broker, type Consumer, type ReceivedMessage } from './broker.js';
import { CurrentMessage } from './current-message.js';
import { Inbox } from './inbox.js';
import { ensureInboxTable, inboxTableError, quoteInboxTable } from './inbox-table.js';
import {
  consumeOptionsOf,
  type Injected,
  type Injections,
  type MessageConsumerOptions,
  type ResolvedInbox,
  resolveConsumerOptions,
} from './message-consumer-options.js';

/** What a consumer has done since it started. */
export interface MessageConsumerStats {
  /** Messages whose handler ran to the end (and, with the inbox, committed). */
  readonly handled: number;
  /** Messages skipped because the inbox had them: a redelivery or a duplicate send. */
  readonly duplicates: number;
  /** Handler runs that failed (the message is retried or dead-lettered). */
  readonly failed: number;
  /** Inbox records purged after the retention. */
  readonly purged: number;
}

/** Thrown into the handler's transaction when the grace period of a stop ran out: roll back. */
class Abandoned extends Error {
  constructor() {
    super('the consumer stopped before the handler finished; the message goes back to the queue');
  }
}

/**
 * A service that consumes one queue through the application's `Broker`: per message it opens
 * a DI request scope (the message supplied as `CurrentMessage`), resolves the handler's
 * `inject` tokens from it, and runs the handler in a transaction that also records the
 * message in the inbox (`libretto_inbox`, keyed by consumer and message id): the handler's
 * writes and the record commit together, so a message delivered twice has its effects once —
 * the second delivery finds the record and is acknowledged without running the handler.
 * A failing handler rolls back and the message is retried with backoff, then dead-lettered
 * (the broker's `retries`, `backoff`, `deadLetter`). At stop, running handlers get the
 * broker's `stop_timeout` to finish; what is unfinished then is rolled back and not
 * acknowledged (the broker redelivers it). Needs `Broker` and, with the inbox, `Database`.
 *
 * @example
 * new MessageConsumer('people', {
 *   inject: { welcomes: Welcomes },
 *   handle: async (message, { welcomes }) => welcomes.save(Welcome.create({ personId: message.data.id })),
 *   retries: 5,
 * });
 */
export class MessageConsumer<T = unknown, I extends Injections = Injections> extends Service {
  /** The queue consumed. */
  readonly queue: string;
  /** The consumer's name: its inbox records' `consumer`. */
  readonly consumerName: string;
  readonly #options: MessageConsumerOptions<T, I>;
  readonly #inboxSettings: ResolvedInbox | undefined;
  readonly #inbox: Inbox | undefined;
  readonly #names: readonly string[];
  readonly #tokens: readonly InjectionToken<unknown>[];
  #db: Database | undefined;
  #consumer: Consumer | undefined;
  #purgeTimer: NodeJS.Timeout | undefined;
  #stats = { handled: 0, duplicates: 0, failed: 0, purged: 0 };

  constructor(queue: string, options: MessageConsumerOptions<T, I>) {
    const resolved = resolveConsumerOptions(
      queue,
      options as unknown as MessageConsumerOptions<unknown, Injections>,
    );
    super(`MessageConsumer(${resolved.name})`);
    this.queue = queue;
    this.consumerName = resolved.name;
    this.#options = options;
    this.#inboxSettings = resolved.inbox;
    this.#inbox = resolved.inbox === undefined ? undefined : new Inbox(resolved.inbox.table);
    const entries = Object.entries(options.inject ?? {});
    this.#names = entries.map(([name]) => name);
    this.#tokens = entries.map(([, t]) => t);
  }

  /** Messages handled, duplicates skipped, handler failures and records purged since start. */
  get stats(): MessageConsumerStats {
    return { ...this.#stats };
  }

  /** Handlers running now. */
  get inFlight(): number {
    return this.#consumer?.inFlight ?? 0;
  }

  override providers(): readonly Provider[] {
    // Every consumer declares it; one declaration is kept.
    return [supplied(CurrentMessage, { override: true })];
  }

  override requires(): readonly Requirement[] {
    return this.#tokens.map((token, i) => ({
      token,
      path: [this.name, `inject.${this.#names[i]}`],
    }));
  }

  override async start(): Promise<void> {
    const settings = this.#inboxSettings;
    if (settings !== undefined) {
      const db = await this.getDependency(Database);
      if (settings.ensureTable) await ensureInboxTable(db, settings.table);
      // A missing table fails the start with what to do, not every message after it.
      try {
        await db.fetch(`SELECT 1 FROM ${quoteInboxTable(this.name, settings.table)} LIMIT 0`);
      } catch (error) {
        throw inboxTableError(error, settings.table);
      }
      this.#db = db;
      this.#purgeTimer = setInterval(() => void this.purge(), settings.purgeInterval);
      this.#purgeTimer.unref();
    }
    const broker = await this.getDependency(Broker);
    this.#consumer = await broker.consume<T>(
      this.queue,
      (message) => this.#handle(message),
      consumeOptionsOf(this.#options as MessageConsumerOptions<T, Injections>),
    );
    this.logger.info({ queue: this.queue, inbox: settings?.table ?? false }, 'consuming messages');
  }

  /**
   * Takes no new message, lets the running handlers finish within the broker's
   * `stop_timeout`, and acknowledges nothing unfinished.
   */
  override async stop(): Promise<void> {
    clearInterval(this.#purgeTimer);
    this.#purgeTimer = undefined;
    await this.#consumer?.stop();
  }

  /** Deletes inbox records older than the retention now; resolves with how many. */
  async purge(): Promise<number> {
    const db = this.#db;
    const settings = this.#inboxSettings;
    if (db === undefined || settings === undefined || this.#inbox === undefined) return 0;
    try {
      const n = await this.#inbox.purge(db, this.consumerName, settings.retention);
      this.#stats.purged += n;
      return n;
    } catch (error) {
      this.logger.warn({ err: error, table: settings.table }, 'inbox purge failed');
      return 0;
    }
  }

  async #handle(message: ReceivedMessage<T>): Promise<void> {
    const scope = this.createScope(supply(CurrentMessage, message as ReceivedMessage));
    let failure: unknown;
    try {
      const ran =
        this.#db === undefined
          ? await this.#run(scope, message)
          : await this.#db.transaction(async (tx) => {
              const inbox = this.#inbox as Inbox;
              if (!(await inbox.record(tx, this.consumerName, message.id, this.queue))) {
                return false;
              }
              await this.#run(scope, message);
              // Past the grace period: roll back rather than commit what will be redelivered.
              if (message.signal.aborted) throw new Abandoned();
              return true;
            }, this.#options.transaction);
      if (ran) this.#stats.handled++;
      else {
        this.#stats.duplicates++;
        this.logger.debug(
          { queue: this.queue, id: message.id },
          'message already handled (inbox); acknowledged without running the handler',
        );
      }
    } catch (error) {
      failure = error;
      this.#stats.failed++;
      throw error;
    } finally {
      await scope.close(failure).catch((error: unknown) => {
        // The message's fate is decided; a finalizer's failure must not redeliver it.
        this.logger.error({ err: error, queue: this.queue, id: message.id }, 'scope close failed');
      });
    }
  }

  async #run(scope: Scope, message: ReceivedMessage<T>): Promise<true> {
    const n = this.#tokens.length;
    const deps = {} as Record<string, unknown>;
    if (n > 0) {
      const values = await Promise.all(this.#tokens.map((t) => scope.get(t)));
      for (let i = 0; i < n; i++) deps[this.#names[i] as string] = values[i];
    }
    await this.#options.handle(message, deps as Injected<I>);
    return true;
  }
}
