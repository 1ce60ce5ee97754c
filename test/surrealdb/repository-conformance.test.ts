// The shared repository conformance suite on SurrealDB (embedded, in memory). Its gaps
// (foreign keys, SQL checks) have tests of their own in surreal-differences.test.ts.
import { repositoryConformance } from '../data/repository-conformance.js';
import { surrealBackend } from './store.js';

repositoryConformance(surrealBackend);
