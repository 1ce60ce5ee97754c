// The repository conformance suite on every SQL data backend: PostgreSQL (libretto/testing
// server, :5432, PGlite, the HA pool) and MariaDB on :3306.
import { afterAll } from 'vitest';
import { type DataBackend, dataBackends } from './data-backends.js';
import { repositoryConformance, sqlStoreBackend } from './repository-conformance.js';

const list: DataBackend[] = await dataBackends();
afterAll(async () => {
  for (const b of list) await b.close();
});

for (const backend of list) repositoryConformance(sqlStoreBackend(backend));
