import type { PoolClient } from 'pg';
import type { DriverResult } from './driver.js';

let sequence = 0;

/**
 * Named prepared statements of one connection (SPEC X-4), most recently used kept: a
 * repeated statement with values skips the server's parse and plan (one without values runs
 * through the simple protocol, which also accepts scripts). Evicted names are deallocated. A
 * plan invalidated by a schema change is dropped and the statement run again once.
 */
export class PreparedStatements {
  // Text → name and when it was last used (a counter: cheaper per call than reordering).
  readonly #names = new Map<string, { readonly name: string; used: number }>();
  #clock = 0;

  constructor(private readonly capacity: number) {}

  run<R>(client: PoolClient, text: string, values: unknown[]): Promise<DriverResult<R>> {
    if (values.length === 0) {
      // No values: the simple protocol, which also runs scripts of several statements.
      return client.query(text).then((r) => toResult<R>(r));
    }
    const entry = this.#names.get(text);
    if (entry === undefined) return this.#prepareAndRun(client, text, values);
    entry.used = ++this.#clock;
    return this.#execute(client, entry.name, text, values);
  }

  async #prepareAndRun<R>(
    client: PoolClient,
    text: string,
    values: unknown[],
  ): Promise<DriverResult<R>> {
    if (this.#names.size >= this.capacity) await this.#evictOldest(client);
    const entry = { name: `lb${(++sequence).toString(36)}`, used: ++this.#clock };
    this.#names.set(text, entry);
    return this.#execute(client, entry.name, text, values);
  }

  #execute<R>(
    client: PoolClient,
    name: string,
    text: string,
    values: unknown[],
  ): Promise<DriverResult<R>> {
    return client.query({ name, text, values }).then(
      (r) => toResult<R>(r),
      async (error: unknown) => {
        if (!isStalePlan(error)) throw error;
        // "cached plan must not change result type": re-prepare once (only possible outside a
        // transaction; inside one the transaction is already aborted and the error stands).
        this.#names.delete(text);
        try {
          await forget(client, name);
          return toResult<R>(await client.query(text, values));
        } catch {
          throw error;
        }
      },
    );
  }

  async #evictOldest(client: PoolClient): Promise<void> {
    let oldest: [string, { name: string; used: number }] | undefined;
    for (const item of this.#names)
      if (oldest === undefined || item[1].used < oldest[1].used) oldest = item;
    if (oldest === undefined) return;
    this.#names.delete(oldest[0]);
    await forget(client, oldest[1].name);
  }
}

function toResult<R>(r: { rows: unknown[]; rowCount: number | null }): DriverResult<R> {
  return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
}

function isStalePlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan');
}

/** DEALLOCATE on the server, and in pg's own record of what the connection has parsed. */
async function forget(client: PoolClient, name: string): Promise<void> {
  const parsed = (
    client as unknown as { connection?: { parsedStatements?: Record<string, unknown> } }
  ).connection?.parsedStatements;
  if (parsed !== undefined) delete parsed[name];
  await client.query(`DEALLOCATE ${name}`);
}
