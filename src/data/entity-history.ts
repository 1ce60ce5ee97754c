import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import type { DialectStatement } from './dialect/sql-dialect.js';
import { fetchRows } from './dialect/statement-runner.js';

type Row = Record<string, unknown>;

/**
 * Versions in the order they were made: along the chain from the first one (whose previous
 * version is not among them), not by the clock; any the chain does not reach follow by time.
 */
export function orderVersions(rows: readonly Row[]): Row[] {
  const versions = new Set(rows.map((r) => r.version));
  const byPrevious = new Map<unknown, Row>(rows.map((r) => [r.previousVersion ?? null, r]));
  const ordered: Row[] = [];
  let at = rows.find((r) => !versions.has(r.previousVersion));
  while (at !== undefined && !ordered.includes(at)) {
    ordered.push(at);
    at = byPrevious.get(at.version);
  }
  const rest = rows.filter((r) => !ordered.includes(r));
  rest.sort((x, y) => (x.changedOn as Date).getTime() - (y.changedOn as Date).getTime());
  ordered.push(...rest);
  return ordered;
}

/** Every stored version of one entity (audit table and current row), oldest first. */
export async function entityHistory(
  db: DatabaseAdapter,
  statement: DialectStatement,
  entityId: unknown,
): Promise<Row[]> {
  return orderVersions(await fetchRows<Row>(db, statement, [entityId]));
}
