import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { INBOX_TABLE, inboxTableError, quoteInboxTable } from './inbox-table.js';

/** Rows deleted per purge statement: short transactions, no long lock on a big table. */
const PURGE_LIMIT = 5000;

/**
 * The inbox: which messages a consumer has handled, recorded in the handler's transaction
 * so that the record commits exactly when the handler's effects do. A redelivered message
 * (a consumer died before its ack, a relay sent it twice) finds its record and is skipped.
 */
export class Inbox {
  readonly #table: string;
  readonly #record: string;
  readonly #purge: string;

  constructor(table: string = INBOX_TABLE) {
    const t = quoteInboxTable('Inbox', table);
    this.#table = table;
    this.#record =
      `INSERT INTO ${t} (consumer, message_id, queue) VALUES ($1, $2, $3) ` +
      'ON CONFLICT (consumer, message_id) DO NOTHING';
    this.#purge =
      `DELETE FROM ${t} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${t} ` +
      `WHERE consumer = $1 AND received_at < now() - make_interval(secs => $2::float8 / 1000) ` +
      `LIMIT ${PURGE_LIMIT}))`;
  }

  /** The table written to. */
  get table(): string {
    return this.#table;
  }

  /**
   * Records that `consumer` handles `messageId`, through `db` (inside the handler's
   * transaction); resolves false when the record was there already: the message was handled.
   * A delivery of the same message running at the same time waits here for the first one's
   * transaction, then sees its record (committed) or takes over (rolled back).
   */
  async record(
    db: DatabaseAdapter,
    consumer: string,
    messageId: string,
    queue: string,
  ): Promise<boolean> {
    try {
      return (await db.execute(this.#record, [consumer, messageId, queue])) === 1;
    } catch (error) {
      throw inboxTableError(error, this.#table);
    }
  }

  /** Deletes `consumer`'s records older than `retention` milliseconds; resolves with how many. */
  async purge(db: DatabaseAdapter, consumer: string, retention: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await db.execute(this.#purge, [consumer, retention]);
      total += n;
      if (n < PURGE_LIMIT) return total;
    }
  }
}
