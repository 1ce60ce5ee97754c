// The SurrealDB store of the tests: an embedded, in-memory SurrealDB per open, in a namespace
// and database of its own.
import { randomUUID } from 'node:crypto';
import { SurrealDatabase, surrealRepository } from 'libretto/surrealdb';
import type { StoreBackend } from '../data/repository-conformance.js';

/** A fresh embedded database (`mem://`), its namespace named after the test file's `label`. */
export function openSurreal(label: string): Promise<SurrealDatabase> {
  return SurrealDatabase.connect({
    endpoint: 'mem://',
    namespace: `${label}_${randomUUID().slice(0, 8)}`,
    database: 'test',
  });
}

/** SurrealDB as a store of the conformance suite. */
export const surrealBackend: StoreBackend = {
  name: 'SurrealDB (embedded, mem://)',
  gaps: new Set(['foreign-keys', 'checks']),
  async open() {
    const db = await openSurreal('conformance');
    return {
      prepare: (registry) => db.prepare(registry),
      repository: (model, options) => surrealRepository(model, db, options),
      transaction: (work) => db.transaction(work),
      close: () => db.close(),
    };
  },
};
