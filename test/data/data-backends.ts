// The backends the repository suites run on: every PostgreSQL backend of the adapter suites,
// and the MariaDB on :3306 through libretto/mysql.
import { type Backend, backends } from '../postgres/backends.js';

/** A data backend: its engine tells the raw SQL of a test which spelling to use. */
export type DataBackend = Backend;

/** Every backend of `backends()`, MariaDB included when reachable (a failure under CI=true). */
export function dataBackends(): Promise<DataBackend[]> {
  return backends({ mysql: true });
}
