import { importOptionalPeer } from '../internal/optional-peer.js';

type Row = Record<string, unknown>;

/** Runs `text` once on a short-lived connection to `dsn` (test set-up only). */
export async function querySql(dsn: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const pg = (await importOptionalPeer('pg', 'libretto/testing', () => import('pg')))
    .default as unknown as typeof import('pg');
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}
