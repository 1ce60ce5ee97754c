import type { StatementResult } from './connection-pool.js';
import type { PgPoolClient, PgQueryResult } from './pg-types.js';

let sequence = 0;

/** How a statement's outcome is reported: callbacks, because this is the hot path. */
export type QueryCallback<R> = (error: Error | undefined, result?: StatementResult<R>) => void;

/**
 * Named prepared statements of one connection, the most recently used kept: a repeated
 * statement with values skips the server's parse and plan (one without values runs through
 * the simple protocol, which also accepts scripts). Evicted names are deallocated on the
 * server. A plan invalidated by a schema change is dropped and the statement run again once.
 *
 * Every decision is taken synchronously and queued on the connection in order, so callers
 * sharing a connection (a transaction running statements concurrently) see one consistent
 * cache: an evicted name is deallocated after the statements queued before it, and never used
 * again (names are never reused).
 *
 * `pg` keeps its own record of the names it has parsed on a connection, and nothing public
 * removes one. Since a name is never sent again after its eviction, a stale entry is harmless
 * but for its memory; so that the record stays bounded without touching pg's private fields,
 * a connection that has evicted four times as many statements as the cache holds (256 at
 * least) is `worn`: the pool closes it when it is returned, so pg's record of a connection
 * stays within five times the cache size. Only a workload that keeps evicting pays for it,
 * with one new connection per few hundred new statements.
 */
export class PreparedStatements {
  // Text → name and when it was last used (a counter: cheaper per call than reordering).
  readonly #names = new Map<string, { readonly name: string; used: number }>();
  #clock = 0;
  #evicted = 0;

  constructor(private readonly capacity: number) {}

  /** Enough statements were evicted that the connection should be replaced (see above). */
  get worn(): boolean {
    return this.#evicted >= Math.max(256, 4 * this.capacity);
  }

  run<R>(client: PgPoolClient, text: string, values: unknown[], callback: QueryCallback<R>): void {
    if (values.length === 0) {
      // No values: the simple protocol, which also runs scripts of several statements.
      client.query(text, reply(callback));
      return;
    }
    const known = this.#names.get(text);
    if (known !== undefined) {
      known.used = ++this.#clock;
      this.#execute(client, known.name, text, values, callback);
      return;
    }
    const evicted = this.#names.size >= this.capacity ? this.#evictOldest() : undefined;
    const name = `lb${(++sequence).toString(36)}`;
    this.#names.set(text, { name, used: ++this.#clock });
    if (evicted === undefined) this.#execute(client, name, text, values, callback);
    else forget(client, evicted, () => this.#execute(client, name, text, values, callback));
  }

  #execute<R>(
    client: PgPoolClient,
    name: string,
    text: string,
    values: unknown[],
    callback: QueryCallback<R>,
  ): void {
    client.query({ name, text, values }, (error: Error | null | undefined, r: PgQueryResult) => {
      if (error === undefined || error === null) {
        callback(undefined, toResult<R>(r));
        return;
      }
      if (!isStalePlan(error)) {
        callback(error);
        return;
      }
      // "cached plan must not change result type": drop the plan and run the statement again
      // once (only possible outside a transaction; inside one the transaction is already
      // aborted and the error stands).
      const retry = () =>
        client.query(text, values, (again: Error | null | undefined, r2: PgQueryResult) =>
          again === undefined || again === null
            ? callback(undefined, toResult<R>(r2))
            : callback(error),
        );
      if (this.#names.get(text)?.name !== name) {
        retry(); // a concurrent caller already dropped it
        return;
      }
      this.#names.delete(text);
      this.#evicted++;
      forget(client, name, retry);
    });
  }

  /** Drops the least recently used statement from the cache; returns its name. */
  #evictOldest(): string | undefined {
    let oldest: [string, { name: string; used: number }] | undefined;
    for (const item of this.#names)
      if (oldest === undefined || item[1].used < oldest[1].used) oldest = item;
    if (oldest === undefined) return undefined;
    this.#names.delete(oldest[0]);
    this.#evicted++;
    return oldest[1].name;
  }
}

function reply<R>(callback: QueryCallback<R>) {
  return (error: Error | null | undefined, r: PgQueryResult): void =>
    error === undefined || error === null ? callback(undefined, toResult<R>(r)) : callback(error);
}

export function toResult<R>(r: { rows: unknown[]; rowCount: number | null }): StatementResult<R> {
  return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
}

function isStalePlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan');
}

/**
 * DEALLOCATE on the server, then `next` (each statement is sent from the previous one's
 * callback: pg's implicit query queue is deprecated). A failure (the connection died, or its
 * transaction is aborted) leaves at most an unused statement on that connection.
 */
function forget(client: PgPoolClient, name: string, next: () => void): void {
  client.query(`DEALLOCATE ${name}`, () => next());
}
