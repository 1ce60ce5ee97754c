import type { PooledConnection, StatementResult } from './connection-pool.js';
import { mustDiscard } from './error-mapping.js';

/**
 * One statement on a connection checked out for it, returned right after; a connection the
 * statement found lost (or timed out on) is closed rather than reused.
 */
export async function queryOnConnection<R>(
  connection: PooledConnection,
  text: string,
  values: readonly unknown[],
): Promise<StatementResult<R>> {
  let broken = false;
  try {
    return await connection.query<R>(text, values);
  } catch (error) {
    broken = mustDiscard(error);
    throw error;
  } finally {
    connection.release(broken);
  }
}
