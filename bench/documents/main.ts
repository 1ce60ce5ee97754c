// Document stores, side by side with their bare SDKs in one run: get by id and a versioned
// save on SurrealDB (the embedded engine, mem://) and on DynamoDB (dynalite). Goal: Libretto
// ≥ 90% of the bare SDK doing the same work.
//   npm run bench:documents   BENCH_SECONDS, BENCH_ROUNDS (see each part),
//                             BENCH_ONLY (surrealdb | dynamodb: one part)
import { benchDynamo } from './dynamodb.js';
import { benchSurreal } from './surrealdb.js';

const only = process.env.BENCH_ONLY;
if (only === undefined || only === 'surrealdb') await benchSurreal();
if (only === undefined || only === 'dynamodb') await benchDynamo();
// The embedded SurrealDB engine can keep the process alive after close().
process.exit(0);
