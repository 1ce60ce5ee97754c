// dynalite (with the test server's TransactWriteItems) in a process of its own, so that the
// benchmark's CPU per operation is the client's alone: prints its endpoint, stops when its
// parent closes stdin.
import { startDynalite } from '../../test/dynamodb/dynalite-server.js';

const server = await startDynalite();
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
