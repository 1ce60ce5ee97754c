import type {
  ConnectionPool,
  PooledConnection,
  Row,
  StatementResult,
} from '../postgres/connection-pool.js';
import type { DatabaseEngine } from '../postgres/database-engine.js';

/**
 * A pool of exactly one checked-out connection, so that a `Database` runs everything of a
 * migration run on one server session: the one that holds the migration lock. (The embedded
 * PGlite has one connection only: a second checkout would wait for ever.) Leases are never
 * really returned; whether the session broke is kept for whoever returns it at the end.
 */
export class SessionPool implements ConnectionPool {
  /** A lease reported the session broken (lost, timed out): close it rather than reuse it. */
  broken = false;

  constructor(
    readonly connection: PooledConnection,
    readonly kind: string,
    /** The engine of the pool the connection came from (absent: PostgreSQL). */
    readonly engine?: DatabaseEngine | undefined,
  ) {}

  acquire(): Promise<PooledConnection> {
    const connection = this.connection;
    const lease: PooledConnection = {
      query: <R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> =>
        connection.query<R>(text, values),
      release: (broken = false) => {
        if (broken) this.broken = true;
      },
    };
    return Promise.resolve(lease);
  }

  query<R = Row>(text: string, values: readonly unknown[]): Promise<StatementResult<R>> {
    return this.connection.query<R>(text, values);
  }

  /** The connection is its owner's to return. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
