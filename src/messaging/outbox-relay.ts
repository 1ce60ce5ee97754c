import { Service } from '../core/service.js';
import type { NotificationListener } from '../postgres/connection-pool.js';
import { Database } from '../postgres/database.js';
import { Broker } from './broker.js';
import { KeyChains } from './key-chains.js';
import {
  BatchAbandoned,
  type BatchContext,
  type BatchOutcome,
  PURGE_LIMIT,
  type RelayStatements,
  relayBatch,
  relayStatements,
} from './outbox-relay-batch.js';
import {
  type OutboxRelayOptions,
  type ResolvedOutboxRelayOptions,
  resolveOutboxRelayOptions,
} from './outbox-relay-options.js';
import { outboxChannel, outboxTableError } from './outbox-table.js';

// After a failed batch (database or broker down), wait longer each time, up to this.
const MAX_ERROR_DELAY_MS = 30_000;

/** What a relay has done since it started. */
export interface OutboxRelayStats {
  readonly batches: number;
  readonly published: number;
  readonly failed: number;
  readonly purged: number;
}

/**
 * Publishes the outbox through the application's `Broker`, at least once and in order per
 * key, with any number of relays (threads or processes) in parallel: each batch claims rows
 * with `FOR UPDATE SKIP LOCKED`, sends a key only under a transaction-scoped advisory lock
 * and only once every earlier message of the key is published, marks what the broker
 * confirmed, and commits. Woken by `LISTEN/NOTIFY` (pg, PGlite; on HA on the master,
 * following failovers), polling every `pollInterval` as the fallback; deletes published rows
 * after `retention`. Needs `Database` (PostgresService) and `Broker` (RabbitMqService).
 *
 * @example
 * new Application(new PostgresService(), new RabbitMqService(), new OutboxRelay({ batchSize: 200 }));
 */
export class OutboxRelay extends Service {
  readonly #options: ResolvedOutboxRelayOptions;
  readonly #statements: RelayStatements;
  readonly #stopping = new AbortController();
  readonly #abandon = new AbortController();
  #listener: NotificationListener | undefined;
  #loop: Promise<void> | undefined;
  /** A notification came since the last batch began: look again before sleeping. */
  #pending = true;
  #wake: (() => void) | undefined;
  #bell: Promise<void> | undefined;
  #lastPurge = 0;
  #stats = { batches: 0, published: 0, failed: 0, purged: 0 };

  constructor(options: OutboxRelayOptions = {}) {
    super('OutboxRelay');
    this.#options = resolveOutboxRelayOptions(options);
    this.#statements = relayStatements(this.#options);
  }

  /** The options in effect. */
  get options(): ResolvedOutboxRelayOptions {
    return this.#options;
  }

  /** Batches run, messages published, publishes failed, rows purged since start. */
  get stats(): OutboxRelayStats {
    return { ...this.#stats };
  }

  /** Whether it is woken by notifications (else it polls only). */
  get listening(): boolean {
    return this.#listener !== undefined;
  }

  override async start(): Promise<void> {
    const db = await this.getDependency(Database);
    const broker = await this.getDependency(Broker);
    // A missing table fails the start with what to do, not every batch after it.
    try {
      await db.fetch(`SELECT 1 FROM ${this.#options.quotedTable} LIMIT 0`);
    } catch (error) {
      throw outboxTableError(error, this.#options.table);
    }
    if (this.#options.listen && db.canListen) {
      try {
        this.#listener = await db.listen(outboxChannel(this.#options.table), () => this.#notify());
      } catch (error) {
        this.logger.warn(
          { err: error, table: this.#options.table },
          'Outbox relay cannot LISTEN; polling only',
        );
      }
    }
    const ctx: BatchContext = {
      chains: new KeyChains(),
      db,
      broker,
      options: this.#options,
      statements: this.#statements,
      stopping: this.#stopping.signal,
      abandon: this.#abandon.signal,
    };
    this.#loop = this.#run(ctx);
  }

  /**
   * Takes no new batch, lets the current one finish within `stopTimeout` (else abandons it:
   * rolled back, nothing marked), stops listening. Never waits on a dead broker or database
   * for longer than `stopTimeout` and a second.
   */
  override async stop(): Promise<void> {
    this.#stopping.abort();
    this.#ring();
    const grace = setTimeout(() => this.#abandon.abort(), this.#options.stopTimeout);
    let bound: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#loop,
        new Promise((resolve) => {
          bound = setTimeout(resolve, this.#options.stopTimeout + 1000);
        }),
      ]);
    } finally {
      clearTimeout(grace);
      clearTimeout(bound);
      await this.#listener?.close().catch(() => undefined);
      this.#listener = undefined;
    }
  }

  #notify(): void {
    this.#pending = true;
    this.#ring();
  }

  /** Wakes the loop (a notification, a stop). */
  #ring(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#bell = undefined;
    wake?.();
  }

  /** Resolves at the next ring. */
  #rung(): Promise<void> {
    this.#bell ??= new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    return this.#bell;
  }

  /**
   * Runs batches, up to `batchesInFlight` at once: another starts while one is in flight as
   * soon as a notification says there is more, or a batch claimed a full batch or published
   * something (there may be more); with nothing in flight and nothing new it sleeps until notified or the next poll.
   * After a failed batch it lets the others end and waits longer each time.
   */
  async #run(ctx: BatchContext): Promise<void> {
    const running = new Set<Promise<void>>();
    let errors = 0;
    let look = true;
    let failed = false;
    while (!ctx.stopping.aborted) {
      if (failed) {
        await Promise.allSettled(running);
        failed = false;
        await this.#pause(Math.min(this.#options.pollInterval * 2 ** errors, MAX_ERROR_DELAY_MS));
        look = true;
        continue;
      }
      if ((look || this.#pending) && running.size < this.#options.batchesInFlight) {
        look = false;
        this.#pending = false;
        const full = (count: number) => {
          if (count < this.#options.batchSize) return;
          look = true;
          this.#ring();
        };
        const batch: Promise<void> = relayBatch(ctx, full).then(
          (outcome) => {
            errors = 0;
            this.#counted(outcome);
            if (outcome.published > 0) look = true;
            return this.#purge(ctx);
          },
          (error: unknown) => {
            if (error instanceof BatchAbandoned || ctx.stopping.aborted) return;
            errors++;
            failed = true;
            this.logger.warn(
              { err: error, table: this.#options.table, failures: errors },
              'Outbox relay batch failed; retrying',
            );
          },
        );
        running.add(batch);
        void batch.finally(() => {
          running.delete(batch);
          this.#ring();
        });
        continue;
      }
      // Something in flight: wait for it or a notification; else sleep until the next poll.
      if (running.size > 0) await this.#rung();
      else {
        await this.#pause(this.#options.pollInterval);
        look = true;
      }
    }
    await Promise.allSettled(running);
  }

  #counted(outcome: BatchOutcome): void {
    const stats = this.#stats;
    stats.batches++;
    stats.published += outcome.published;
    stats.failed += outcome.failed;
    if (outcome.failed > 0) {
      this.logger.warn(
        { table: this.#options.table, failed: outcome.failed },
        'Outbox relay: publishes failed; the rows are retried with backoff',
      );
    }
  }

  /** Resolves after `ms`, at a notification, or at stop; at once when one is pending. */
  async #pause(ms: number): Promise<void> {
    if (this.#pending || this.#stopping.signal.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#rung(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  async #purge(ctx: BatchContext): Promise<void> {
    const now = Date.now();
    if (now - this.#lastPurge < this.#options.purgeInterval) return;
    this.#lastPurge = now;
    try {
      for (;;) {
        const n = await ctx.db.execute(this.#statements.purge, [this.#options.retention]);
        this.#stats.purged += n;
        if (n < PURGE_LIMIT || ctx.stopping.aborted) break;
      }
    } catch (error) {
      this.logger.warn({ err: error, table: this.#options.table }, 'Outbox purge failed');
    }
  }
}
