// The SQS every SQS test runs against: the protocol-level server of sqs-server.ts in the test
// process (no AWS here), and the conformance harness that looks at its queues directly.
import { randomBytes } from 'node:crypto';
import { SqsBroker, type SqsConnectSettings } from 'libretto/messaging';
import type { BrokerHarness, RawMessage } from './broker-conformance.js';
import { SqsServer, type StoredMessage } from './sqs-server.js';

/** Settings for a broker on `server`: static test credentials, short waits. */
export function sqsTestSettings(
  server: SqsServer,
  overrides: SqsConnectSettings = {},
): SqsConnectSettings {
  return {
    region: 'us-east-1',
    endpoint: server.endpoint,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    stopTimeout: 1,
    queuePrefix: `libretto-test-${randomBytes(4).toString('hex')}-`,
    ...overrides,
  };
}

function waiting(message: StoredMessage): boolean {
  return message.visibleAt <= Date.now() || message.receipt === undefined;
}

/** Takes one message off `name` on `server` (not one in work), waiting up to `ms` for one. */
export async function takeFrom(server: SqsServer, name: string, ms = 15_000): Promise<RawMessage> {
  const deadline = Date.now() + ms;
  for (;;) {
    const messages = server.messages(name) ?? [];
    const message = messages.find((m) => m.visibleAt <= Date.now());
    if (message !== undefined) {
      messages.splice(messages.indexOf(message), 1);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.attributes)) headers[k] = String(v.StringValue);
      return {
        body: message.body,
        id: headers['x-libretto-id'],
        headers,
        redelivered: message.receiveCount > 0,
      };
    }
    if (Date.now() > deadline) throw new Error(`no message in ${name} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The conformance harness on a fresh server. */
export async function openSqsHarness(): Promise<BrokerHarness & { server: SqsServer }> {
  const server = await SqsServer.start();
  const broker = await SqsBroker.connect(sqsTestSettings(server));
  return {
    server,
    broker,
    track() {}, // the server goes away with its queues
    async count(name) {
      return server.messages(name)?.filter(waiting).length;
    },
    take: (name) => takeFrom(server, name),
    async publishRaw(name, body) {
      server.put(name, body);
    },
    async close() {
      await broker.close();
      await server.close();
    },
  };
}
