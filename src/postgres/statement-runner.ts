import type { Logger } from '../core/logger.js';
import { LibrettoError } from '../errors/libretto-error.js';
import type { TransactionState } from './ambient-transaction.js';
import type { PooledConnection, StatementResult } from './connection-pool.js';
import { mapDatabaseError, statementName } from './error-mapping.js';

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

  constructor(private readonly options: StatementLogOptions) {
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
    if (this.#log !== undefined) {
      return this.logged(() => connection.query<R>(text, values), text, values, describe, state);
    }
    return connection.query<R>(text, values).then(undefined, (error: unknown) => {
      const mapped = toLibrettoError(error, describe);
      if (state !== undefined) state.failure ??= mapped;
      throw mapped;
    });
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
      const mapped = toLibrettoError(error, describe);
      if (state !== undefined) state.failure ??= mapped;
      throw mapped;
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

/** A Libretto error as it is, any other mapped from its SQLSTATE. */
export function toLibrettoError(error: unknown, describe: string): LibrettoError {
  return error instanceof LibrettoError ? error : mapDatabaseError(error, describe);
}
