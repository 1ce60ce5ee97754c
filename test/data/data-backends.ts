// The backends the repository suites run on: every PostgreSQL backend of the adapter suites,
// and MariaDB on :3306 (through test/data/mysql-adapter.ts until libretto/mysql lands).
import type { Database } from 'libretto/postgres';
import { type Backend, backends, type Opened } from '../postgres/backends.js';
import { mysqlAvailable, openMysql } from './mysql-adapter.js';

/** A data backend: its engine tells the raw SQL of a test which spelling to use. */
export interface DataBackend extends Backend {
  readonly engine: 'postgres' | 'mysql';
}

/** Every backend of `backends()`, then MariaDB when reachable. */
export async function dataBackends(): Promise<DataBackend[]> {
  const list: DataBackend[] = (await backends()).map((b) =>
    Object.assign(b, { engine: 'postgres' as const }),
  );
  if (await mysqlAvailable()) {
    list.push({
      name: 'MariaDB on :3306',
      engine: 'mysql',
      async open(): Promise<Opened> {
        const { db, close } = await openMysql();
        return { db: db as Database, dsn: undefined, close };
      },
      close: async () => {},
    });
  }
  return list;
}
