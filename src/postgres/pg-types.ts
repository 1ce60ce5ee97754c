// The part of `pg` (node-postgres) that PgPool uses, declared structurally as Kysely's
// postgres dialect does: no import of pg's types, no reliance on its private fields. Any
// module with this shape (pg, or a compatible fork) works.

/** What a statement returns. */
export interface PgQueryResult {
  readonly rows: unknown[];
  readonly rowCount: number | null;
}

/** The callback every query is given (the callback form creates no promise). */
export type PgQueryCallback = (error: Error | null | undefined, result: PgQueryResult) => void;

/** A named statement: pg parses it once per connection, then only binds values. */
export interface PgNamedQuery {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/** A client checked out of a `pg.Pool`. */
export interface PgPoolClient {
  query(text: string, callback: PgQueryCallback): void;
  query(text: string, values: unknown[], callback: PgQueryCallback): void;
  query(config: PgNamedQuery, callback: PgQueryCallback): void;
  /** Returns it to the pool; `true` (or an error) closes it instead. */
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/** A `pg.Pool`. */
export interface PgPoolLike {
  connect(
    callback: (
      error: Error | null | undefined,
      client: PgPoolClient | undefined,
      done: (release?: boolean | Error) => void,
    ) => void,
  ): void;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error, client: PgPoolClient) => void): unknown;
  on(event: 'connect' | 'remove', listener: (client: PgPoolClient) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The `pg.Pool` settings PgPool sets. */
export interface PgPoolConfig {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  connectionString?: string;
  ssl?: false | { rejectUnauthorized: boolean };
  application_name?: string;
  min: number;
  max: number;
  /** Limit on opening a connection (a client setting; the pool then waits without a timer of its own). */
  connectionTimeoutMillis?: number;
  idleTimeoutMillis: number;
  /** The client class the pool makes connections with. */
  Client?: PgClientClass;
  maxUses?: number;
  maxLifetimeSeconds?: number;
  statement_timeout?: number;
}

/** `pg.Client`, as far as PgPool uses it: constructed with the pool's settings. */
export type PgClientClass = new (config: PgPoolConfig) => object;

/** The `pg` module's default export, as far as PgPool uses it. */
export interface PgModule {
  readonly Pool: new (config: PgPoolConfig) => PgPoolLike;
  readonly Client: PgClientClass;
}
