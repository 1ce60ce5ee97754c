import type { Logger } from '../core/logger.js';
import { LibrettoError } from '../errors/libretto-error.js';
import type { TransactionState } from './ambient-transaction.js';
import type { PooledConnection, StatementResult } from './connection-pool.js';
import type { DatabaseEngine } from './database-engine.js';

/** How `StatementRunner.exec` reports: `error` (a Libretto error) undefined on success. */
export type ExecCallback<R> = (
  error: LibrettoError | undefined,
  result?: StatementResult<R>,
) => void;

import { statementName } from './error-mapping.js';
import { postgresEngine } from './postgres-engine.js';

/** Statement logging of a `Database`. */
export interface StatementLogOptions {
  readonly logger?: Logger;
  /** One `debug` line per statement. Default false. */
  readonly logStatements?: boolean;
  /** Include parameter values in those lines. Default false: only their count. */
  readonly logParameters?: boolean;
}

/**
 * Runs statements for a `Database` and its transactions: maps driver errors to Libretto
 * errors (a code per condition, the driver error as `cause`), records a failure in the
 * transaction it belongs to, and logs each statement at `debug` when asked — never the values
 * unless `logParameters`.
 */
export class StatementRunner {
  /** The logger when statements are logged; undefined keeps the path free of logging work. */
  readonly #log: Logger | undefined;

  constructor(
    private readonly options: StatementLogOptions,
    /** Whose driver errors these are. */
    readonly engine: DatabaseEngine = postgresEngine,
  ) {
    this.#log = options.logStatements === true ? options.logger : undefined;
  }

  /** Runs `text` on `connection`; a failure is also recorded in `state` (its transaction). */
  run<R>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[],
    describe: string,
    state?: TransactionState,
  ): Promise<StatementResult<R>> {
    return this.pick(connection, text, values, describe, state, sameResult<R>);
  }

  /** `run`, the result shaped by `pick` in the same step (one promise per statement). */
  pick<R, T>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[],
    describe: string,
    state: TransactionState | undefined,
    pick: (result: StatementResult<R>) => T,
  ): Promise<T> {
    if (this.#log !== undefined || connection.run === undefined) {
      const call = () => connection.query<R>(text, values);
      return this.logged(call, text, values, describe, state).then(pick);
    }
    return new Promise((resolve, reject) =>
      (connection.run as NonNullable<PooledConnection['run']>)<R>(text, values, (error, result) => {
        if (error === undefined) resolve(pick(result as StatementResult<R>));
        else reject(failed(error, describe, state, this.engine));
      }),
    );
  }

  /** `run` with a callback: no promise (BEGIN and COMMIT of the transaction path). */
  exec<R>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[],
    describe: string,
    state: TransactionState | undefined,
    callback: ExecCallback<R>,
  ): void {
    if (this.#log !== undefined || connection.run === undefined) {
      this.run<R>(connection, text, values, describe, state).then(
        (result) => callback(undefined, result),
        (error: LibrettoError) => callback(error),
      );
      return;
    }
    connection.run<R>(text, values, (error, result) =>
      error === undefined
        ? callback(undefined, result)
        : callback(failed(error, describe, state, this.engine)),
    );
  }

  /** Runs `call` (one statement), logged when enabled, its errors mapped. */
  logged<R>(
    call: () => Promise<StatementResult<R>>,
    text: string,
    values: readonly unknown[],
    describe: string,
    state?: TransactionState,
  ): Promise<StatementResult<R>> {
    const log = this.#log;
    const fail = (error: unknown): never => {
      throw failed(error, describe, state, this.engine);
    };
    if (log === undefined) return call().then(undefined, fail);
    const started = performance.now();
    const done = () =>
      log.debug(
        {
          statement: statementName(describe),
          sql: text,
          params: this.options.logParameters === true ? values : `${values.length} hidden`,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'sql',
      );
    return call().then(
      (result) => {
        done();
        return result;
      },
      (error: unknown) => {
        done();
        return fail(error);
      },
    );
  }
}

const sameResult = <R>(result: StatementResult<R>): StatementResult<R> => result;

/** The Libretto error for a failed statement, recorded as its transaction's failure. */
function failed(
  error: unknown,
  describe: string,
  state: TransactionState | undefined,
  engine: DatabaseEngine,
): LibrettoError {
  const mapped = toLibrettoError(error, describe, engine);
  if (state !== undefined) state.failure ??= mapped;
  return mapped;
}

/** A Libretto error as it is, any other mapped by `engine` (PostgreSQL's: from its SQLSTATE). */
export function toLibrettoError(
  error: unknown,
  describe: string,
  engine: DatabaseEngine = postgresEngine,
): LibrettoError {
  return error instanceof LibrettoError ? error : engine.mapError(error, describe);
}
