import { DependencyUnavailableError } from '../errors/application-errors.js';

type Row = Record<string, unknown>;

/** Runs `text` once on a short-lived connection to `dsn` (test set-up only). */
export async function querySql(dsn: string, text: string, values: unknown[] = []): Promise<Row[]> {
  let pg: typeof import('pg');
  try {
    pg = (await import('pg')).default as unknown as typeof import('pg');
  } catch (error) {
    throw new DependencyUnavailableError('libretto/testing needs the pg package (npm install pg)', {
      cause: error,
      code: 'PACKAGE_NOT_INSTALLED',
    });
  }
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}
