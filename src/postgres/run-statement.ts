// How a statement runs on one `pg` client: one at a time, through its prepared statements, with
// the client-side query timeout.
import { DeadlineExceededError } from '../errors/infrastructure-errors.js';
import { markConnectionLost, statementName } from './error-mapping.js';
import type { PgPoolClient } from './pg-types.js';
import { type PreparedStatements, type QueryCallback, toResult } from './prepared-statements.js';

/** State of one `pg` client, kept for as long as the client lives. */
export interface ClientState {
  /** The pool's generation when the client was made; older ones are closed, not reused. */
  readonly generation: number;
  init: Promise<void> | undefined;
  /** When it was last returned (ms since epoch): pre-ping decides from it. */
  lastUsed: number;
  readonly prepared: PreparedStatements | undefined;
  /** A statement is in flight; later ones wait here (pg's implicit queue is deprecated). */
  busy: boolean;
  waiting: (() => void)[] | undefined;
  /** The client reported an error or its end: its socket is gone. */
  lost: boolean;
  /** A statement timed out on this client: it may still run, so the client is never reused. */
  stalled: boolean;
}

/** The cheapest statement: checks a pooled connection still answers (pre-ping). */
export function ping(client: PgPoolClient): Promise<void> {
  return new Promise((resolve, reject) =>
    client.query(';', (error) =>
      error === undefined || error === null ? resolve() : reject(error),
    ),
  );
}

/**
 * Runs one statement on `client`, through its prepared statements unless they are off. One at
 * a time per client: statements of one transaction started together run in call order, each
 * deciding what to prepare or deallocate when the client is free. With `timeoutMs`, a
 * statement without an answer by then fails (`DB_QUERY_TIMEOUT`) and the client is stalled:
 * closed when returned, and refusing further statements.
 */
export function runStatement<R>(
  client: PgPoolClient,
  tracked: ClientState,
  text: string,
  values: readonly unknown[],
  timeoutMs: number | undefined,
  callback: QueryCallback<R>,
): void {
  if (tracked.busy) {
    tracked.waiting ??= [];
    tracked.waiting.push(() => runStatement(client, tracked, text, values, timeoutMs, callback));
    return;
  }
  if (tracked.stalled) {
    callback(queryTimeout(text, timeoutMs));
    return;
  }
  tracked.busy = true;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const settle: QueryCallback<R> = (error, answer) => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    tracked.busy = false;
    if (error !== undefined && tracked.lost) markConnectionLost(error);
    tracked.waiting?.shift()?.();
    callback(error, answer);
  };
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      tracked.stalled = true;
      settle(queryTimeout(text, timeoutMs));
    }, timeoutMs);
  }
  const prepared = tracked.prepared;
  if (prepared !== undefined) {
    prepared.run(client, text, values as unknown[], settle);
    return;
  }
  client.query(text, values as unknown[], (error, r) =>
    error === undefined || error === null ? settle(undefined, toResult<R>(r)) : settle(error),
  );
}

function queryTimeout(text: string, timeoutMs: number | undefined): DeadlineExceededError {
  return new DeadlineExceededError(
    `${statementName(text)}: no answer within ${timeoutMs} ms (query timeout)`,
    { code: 'DB_QUERY_TIMEOUT', details: [{ statement: statementName(text) }] },
  );
}
