import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { Database } from '../postgres/database.js';
import { Outbox } from './outbox.js';
import { OUTBOX_TABLE, quoteOutboxTable } from './outbox-table.js';

/** Options of an {@link OutboxService}. */
export interface OutboxServiceOptions {
  /** The outbox table (`libretto_outbox`). */
  readonly table?: string;
  /** Creates the table at start unless it exists (false: a migration creates it). */
  readonly ensureTable?: boolean;
}

const KEYS = new Set(['table', 'ensureTable']);

/**
 * Provides the application's {@link Outbox} (APP scope) over its `Database`; with
 * `ensureTable`, creates the outbox table at start. Publishing is the `OutboxRelay`'s job,
 * which may run in this application or in another process.
 *
 * @example
 * new Application(new PostgresService(), new OutboxService({ ensureTable: true }), new HttpService(…));
 */
export class OutboxService extends Service {
  readonly #table: string;
  readonly #ensureTable: boolean;

  constructor(options: OutboxServiceOptions = {}) {
    super('OutboxService');
    rejectUnknownKeys('OutboxService', options, KEYS);
    this.#table = options.table ?? OUTBOX_TABLE;
    quoteOutboxTable('OutboxService', this.#table);
    if (options.ensureTable !== undefined && typeof options.ensureTable !== 'boolean') {
      invalidOption('OutboxService', 'ensureTable', 'must be true or false');
    }
    this.#ensureTable = options.ensureTable ?? false;
  }

  override providers(): readonly Provider[] {
    return [
      provide(Outbox, { deps: [Database], use: (db) => new Outbox(db, { table: this.#table }) }),
    ];
  }

  override async start(): Promise<void> {
    if (this.#ensureTable)
      await Outbox.ensureTable(await this.getDependency(Database), this.#table);
    await this.getDependency(Outbox);
  }
}
