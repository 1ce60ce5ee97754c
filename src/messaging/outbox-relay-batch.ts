import type { Database } from '../postgres/database.js';
import type { Broker } from './broker.js';
import type { KeyChains, KeyTurn } from './key-chains.js';
import type { ResolvedOutboxRelayOptions } from './outbox-relay-options.js';

/** A row of the outbox as the relay claims it. */
interface OutboxRow {
  readonly id: string | number;
  readonly message_id: string;
  readonly queue: string;
  readonly key: string | null;
  readonly type: string | null;
  readonly headers: Record<string, string>;
  readonly payload: unknown;
  readonly created_at: Date | string;
  readonly attempts: number;
}

/** What one batch did. */
export interface BatchOutcome {
  readonly claimed: number;
  readonly published: number;
  readonly failed: number;
}

/** A publish that failed: the row's next try and why. */
interface Failure {
  readonly id: string;
  readonly error: string;
  readonly delay: number;
}

/** Thrown when the batch is abandoned at stop: its transaction rolls back. */
export class BatchAbandoned extends Error {}

/** The statements of a relay on one table. */
export interface RelayStatements {
  readonly claim: string;
  readonly lockKeys: string;
  readonly markPublished: string;
  readonly markFailed: string;
  readonly purge: string;
}

/** Rows deleted per purge statement: a long backlog is deleted in bounded steps. */
export const PURGE_LIMIT = 10_000;

/** The statements for the options' table. */
export function relayStatements(o: ResolvedOutboxRelayOptions): RelayStatements {
  const t = o.quotedTable;
  return {
    // Rows another relay holds are skipped, not waited for.
    claim:
      'SELECT id, message_id, queue, key, type, headers, payload, created_at, attempts ' +
      `FROM ${t} WHERE published_at IS NULL AND next_attempt_at <= now() ` +
      'ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
    // A key is sent by this batch only when no earlier message of it is pending (another
    // relay's, or one waiting for its retry; rows this relay's other open batches hold, $4,
    // are ordered in memory instead), and then under a lock held to the commit, so one relay
    // at a time sends a key (keys its other open batches send, $5, it holds already). The
    // check comes first (MATERIALIZED), so that keys this batch cannot send are not locked
    // away from the relay that can.
    lockKeys:
      'WITH free AS MATERIALIZED (SELECT f.key FROM unnest($2::text[], $3::bigint[]) AS f(key, first_id) ' +
      `WHERE NOT EXISTS (SELECT 1 FROM ${t} o WHERE o.key = f.key AND o.published_at IS NULL AND o.id < f.first_id ` +
      'AND o.id <> ALL($4::bigint[]))) ' +
      'SELECT key FROM free WHERE key = ANY($5::text[]) OR pg_try_advisory_xact_lock(hashtext($1), hashtext(key))',
    markPublished: `UPDATE ${t} SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])`,
    markFailed:
      `UPDATE ${t} AS o SET attempts = o.attempts + 1, last_error = f.error, ` +
      "next_attempt_at = now() + f.delay * interval '1 millisecond' " +
      'FROM unnest($1::bigint[], $2::text[], $3::int[]) AS f(id, error, delay) WHERE o.id = f.id',
    purge:
      `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE published_at IS NOT NULL ` +
      `AND published_at < now() - $1 * interval '1 millisecond' LIMIT ${PURGE_LIMIT})`,
  };
}

/** Where a batch runs. */
export interface BatchContext {
  readonly db: Database;
  readonly broker: Broker;
  readonly options: ResolvedOutboxRelayOptions;
  readonly statements: RelayStatements;
  /** The order of keys across this relay's open batches. */
  readonly chains: KeyChains;
  /** Aborted at stop: no new sends; those in flight may finish. */
  readonly stopping: AbortSignal;
  /** Aborted when the stop's grace is over: the batch is abandoned. */
  readonly abandon: AbortSignal;
}

/**
 * One batch, in one transaction: claim rows, keep the keys this relay may send (see
 * `lockKeys`), send each key's rows in id order — after the same key's rows of the relay's
 * earlier open batches, keys in parallel, rows without a key each on their own — then mark
 * what the broker confirmed and, for a failed send, count the attempt and set the next one;
 * the key's later rows wait for it. A crash anywhere before the commit leaves every row
 * unpublished: sent again, never lost. `onClaimed` hears how many rows were claimed (a full
 * batch: there may be more for another batch).
 */
export function relayBatch(
  ctx: BatchContext,
  onClaimed: (count: number) => void = () => {},
): Promise<BatchOutcome> {
  const { db, statements: s, options: o } = ctx;
  const batch = {};
  let turns: Map<string, KeyTurn> | undefined;
  return db
    .transaction(async () => {
      const rows = await db.fetch<OutboxRow>(s.claim, [o.batchSize]);
      onClaimed(rows.length);
      if (rows.length === 0) return { claimed: 0, published: 0, failed: 0 };
      const byKey = new Map<string, OutboxRow[]>();
      const chains: OutboxRow[][] = [];
      for (const row of rows) {
        if (row.key === null) chains.push([row]);
        else {
          const list = byKey.get(row.key);
          if (list === undefined) byKey.set(row.key, [row]);
          else list.push(row);
        }
      }
      const keys = [...byKey.keys()];
      const claimed = ctx.chains.open(
        batch,
        rows.map((r) => String(r.id)),
        keys,
      );
      turns = claimed.turns;
      if (keys.length > 0) {
        const firsts = keys.map((k) => String((byKey.get(k) as OutboxRow[])[0]?.id));
        const { rowIds, heldKeys } = claimed.others;
        const free = await db.fetch<{ key: string }>(s.lockKeys, [
          o.table,
          keys,
          firsts,
          rowIds,
          heldKeys,
        ]);
        for (const { key } of free) chains.push(byKey.get(key) as OutboxRow[]);
      }
      const published: string[] = [];
      const failures: Failure[] = [];
      // A key's rows go one after another, each after the previous one's confirm: a later row
      // never reaches the broker before an earlier one that failed (a nack, a send timeout).
      const sendChain = async (chain: OutboxRow[]) => {
        const first = chain[0] as OutboxRow;
        const turn = first.key === null ? undefined : turns?.get(first.key);
        let allSent = false;
        try {
          if (turn !== undefined && !(await turn.earlier)) return;
          for (const row of chain) {
            if (ctx.stopping.aborted) return;
            try {
              await ctx.broker.send(row.queue, row.payload, {
                id: row.message_id,
                key: row.key,
                type: row.type,
                headers: row.headers,
                createdAt: row.created_at,
              });
            } catch (error) {
              failures.push({
                id: String(row.id),
                error: error instanceof Error ? error.message : String(error),
                delay: Math.round(
                  Math.min(o.maxDelay, o.initialDelay * o.factor ** Math.min(row.attempts, 64)),
                ),
              });
              return; // the key's later rows must not overtake this one
            }
            published.push(String(row.id));
          }
          allSent = true;
        } finally {
          turn?.done(allSent);
        }
      };
      await untilAbandoned(Promise.all(chains.map(sendChain)), ctx.abandon);
      if (published.length > 0) await db.execute(s.markPublished, [published]);
      if (failures.length > 0) {
        await db.execute(s.markFailed, [
          failures.map((f) => f.id),
          failures.map((f) => f.error),
          failures.map((f) => f.delay),
        ]);
      }
      return { claimed: rows.length, published: published.length, failed: failures.length };
    })
    .finally(() => {
      if (turns !== undefined) ctx.chains.close(batch, turns);
    });
}

/** `work`, or BatchAbandoned as soon as `signal` is aborted. */
function untilAbandoned<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new BatchAbandoned('abandoned'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new BatchAbandoned('abandoned at stop'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
