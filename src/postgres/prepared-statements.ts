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
  readonly #names = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  async run<R>(client: PoolClient, text: string, values: unknown[]): Promise<DriverResult<R>> {
    if (values.length === 0) {
      // No values: the simple protocol, which also runs scripts of several statements.
      const r = await client.query(text);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    }
    let name = this.#names.get(text);
    if (name === undefined) {
      name = `lb${(++sequence).toString(36)}`;
      if (this.#names.size >= this.capacity) await this.#evictOldest(client);
    } else {
      this.#names.delete(text); // re-inserted below: most recently used last
    }
    this.#names.set(text, name);
    try {
      const r = await client.query({ name, text, values });
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (error) {
      if (!isStalePlan(error)) throw error;
      // "cached plan must not change result type": re-prepare once (only possible outside a
      // transaction; inside one the transaction is already aborted and the error stands).
      this.#names.delete(text);
      try {
        await forget(client, name);
        const r = await client.query(text, values);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      } catch {
        throw error;
      }
    }
  }

  async #evictOldest(client: PoolClient): Promise<void> {
    const [text, name] = this.#names.entries().next().value as [string, string];
    this.#names.delete(text);
    await forget(client, name);
  }
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
