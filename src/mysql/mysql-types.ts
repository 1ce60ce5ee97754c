// The parts of `mysql2`'s callback API that libretto/mysql uses, typed here so that the
// package stays an optional peer (loaded on first use) and its typings need not be followed.
import type { Readable } from 'node:stream';

/** A column of a result, as `mysql2` describes it. */
export interface MysqlColumn {
  readonly name: string;
  /** The protocol's type number (1: TINY). */
  readonly columnType: number;
  /** The display length (1 for TINYINT(1), which is how MySQL spells BOOLEAN). */
  readonly columnLength: number;
}

/** What a statement answers: rows, or a header with the affected rows. */
export type MysqlAnswer = unknown[] | { readonly affectedRows: number };

export type MysqlCallback = (
  error: Error | null | undefined,
  answer?: MysqlAnswer,
  columns?: readonly MysqlColumn[],
) => void;

/** A running statement (its result as events, or as a row stream). */
export interface MysqlQuery {
  stream(options: { highWaterMark: number }): Readable;
  once(event: 'end' | 'error', listener: (error?: Error) => void): this;
  once(event: 'fields', listener: (columns: readonly MysqlColumn[]) => void): this;
}

/** One `mysql2` connection. */
export interface MysqlClient {
  query(text: string, callback: MysqlCallback): MysqlQuery;
  query(text: string, values: unknown[], callback: MysqlCallback): MysqlQuery;
  query(text: string, values: unknown[]): MysqlQuery;
  execute(text: string, values: unknown[], callback: MysqlCallback): MysqlQuery;
  ping(callback: (error: Error | null | undefined) => void): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): this;
  once(event: 'connect', listener: () => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  removeListener(event: string, listener: (...args: never[]) => void): this;
  resume(): void;
  destroy(): void;
  end(callback?: (error?: Error | null) => void): void;
}

/** The settings of `mysql2.createConnection` used here. */
export interface MysqlClientConfig {
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly ssl?: { readonly rejectUnauthorized: boolean };
  readonly connectTimeout: number;
  readonly timezone: string;
  readonly supportBigNumbers: boolean;
  readonly bigNumberStrings: boolean;
  readonly dateStrings: boolean;
  readonly maxPreparedStatements: number;
}

/** The `mysql2` module. */
export interface MysqlModule {
  createConnection(config: MysqlClientConfig): MysqlClient;
}
