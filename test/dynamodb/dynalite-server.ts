// dynalite (DynamoDB in-process, in memory) for tests and the benchmark, on a random port.
//
// dynalite 4 has no TransactWriteItems. This server sits in front of it and adds one, built
// only from dynalite's own single-item operations: a transaction runs alone (every other
// request waits for it, and it waits for those in flight), applies its writes one by one
// with their conditions, keeping the items they replace, and on the first failed condition
// puts those back and answers TransactionCanceledException with the reasons, as DynamoDB
// does. Nobody sees it half done, so it is all or nothing as DynamoDB's
// is. ConditionCheck items are not supported (libretto/dynamodb writes none).
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: object) => http.Server;

type Json = Record<string, unknown>;
type Key = Record<string, unknown>;

/** A running dynalite with transactions; `endpoint` goes to the SDK's `endpoint`. */
export interface DynaliteServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

const listen = (server: http.Server) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

/** Shared for single requests, exclusive for a transaction. */
class Gate {
  #readers = 0;
  #writer: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.#writer !== undefined) await this.#writer;
    this.#readers++;
    try {
      return await work();
    } finally {
      if (--this.#readers === 0) this.#drained?.();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.#writer !== undefined) await this.#writer;
    let release = () => {};
    this.#writer = new Promise((resolve) => {
      release = resolve;
    });
    try {
      while (this.#readers > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      this.#drained = undefined;
      return await work();
    } finally {
      this.#writer = undefined;
      release();
    }
  }
}

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Starts dynalite and the transaction front on random ports of 127.0.0.1. */
export async function startDynalite(): Promise<DynaliteServer> {
  const inner = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(inner);
  const innerPort = (inner.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  const gate = new Gate();
  const keySchemas = new Map<string, string[]>();

  const forward = (
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders,
    body: string,
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port: innerPort, method, path, headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  // One operation of dynalite's, as the SDK would send it (dynalite checks that a signature
  // is there, not what it is).
  const call = async (operation: string, input: Json): Promise<{ ok: boolean; body: Json }> => {
    const answer = await forward(
      'POST',
      '/',
      {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'x-amz-date': '20200101T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      JSON.stringify(input),
    );
    return { ok: answer.status === 200, body: answer.body === '' ? {} : JSON.parse(answer.body) };
  };

  const keyNames = async (table: string): Promise<string[]> => {
    let names = keySchemas.get(table);
    if (names === undefined) {
      const described = await call('DescribeTable', { TableName: table });
      if (!described.ok) throw Object.assign(new Error('describe'), { answer: described.body });
      const schema = (described.body.Table as { KeySchema: { AttributeName: string }[] }).KeySchema;
      names = schema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return names;
  };

  const transact = async (input: Json): Promise<{ status: number; body: Json }> => {
    const items = input.TransactItems as Json[] | undefined;
    if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
      return validation('TransactItems must hold 1 to 100 items');
    }
    const steps: { operation: string; request: Json; table: string; key: Key }[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const [kind, request] = Object.entries(item)[0] as [string, Json];
      if (kind === 'ConditionCheck' || !['Put', 'Update', 'Delete'].includes(kind)) {
        return validation(`${kind} is not supported by this test server`);
      }
      const table = request.TableName as string;
      let names: string[];
      try {
        names = await keyNames(table);
      } catch (error) {
        return { status: 400, body: (error as { answer: Json }).answer };
      }
      const source = (kind === 'Put' ? request.Item : request.Key) as Key;
      const key = Object.fromEntries(names.map((n) => [n, source[n]]));
      const id = `${table} ${JSON.stringify(key)}`;
      if (seen.has(id)) {
        return validation('Transaction request cannot include multiple operations on one item');
      }
      seen.add(id);
      steps.push({ operation: `${kind}Item`, request, table, key });
    }
    // Each write returns the item it replaced: what an undo puts back.
    const before: (Json | undefined)[] = [];
    const undo = async () => {
      for (let i = before.length - 1; i >= 0; i--) {
        const s = steps[i] as (typeof steps)[number];
        const old = before[i];
        if (old === undefined) await call('DeleteItem', { TableName: s.table, Key: s.key });
        else await call('PutItem', { TableName: s.table, Item: old });
      }
    };
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i] as (typeof steps)[number];
      const { ReturnValuesOnConditionCheckFailure: returnOld, ...request } = s.request;
      const done = await call(s.operation, { ...request, ReturnValues: 'ALL_OLD' });
      if (done.ok) {
        before.push(done.body.Attributes as Json | undefined);
        continue;
      }
      await undo();
      if (!String(done.body.__type).endsWith('#ConditionalCheckFailedException')) {
        return { status: 400, body: done.body };
      }
      const stored =
        returnOld === 'ALL_OLD'
          ? ((await call('GetItem', { TableName: s.table, Key: s.key, ConsistentRead: true })).body
              .Item as Json | undefined)
          : undefined;
      const reasons = steps.map((_, j) =>
        j !== i
          ? { Code: 'None' }
          : {
              Code: 'ConditionalCheckFailed',
              Message: 'The conditional request failed',
              ...(stored === undefined ? {} : { Item: stored }),
            },
      );
      return {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
          CancellationReasons: reasons,
        },
      };
    }
    return { status: 200, body: {} };
  };

  const front = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const target = String(req.headers['x-amz-target'] ?? '');
      const answer: Promise<Answer> = target.endsWith('.TransactWriteItems')
        ? gate
            .exclusive(() => transact(JSON.parse(body) as Json))
            .then((r) => ({
              status: r.status,
              headers: { 'content-type': 'application/x-amz-json-1.0' },
              body: JSON.stringify(r.body),
            }))
        : gate.shared(() => forward(req.method ?? 'POST', req.url ?? '/', req.headers, body));
      answer.then(
        (a) => {
          const headers = { ...a.headers };
          delete headers['transfer-encoding'];
          headers['content-length'] = String(Buffer.byteLength(a.body));
          res.writeHead(a.status, headers);
          res.end(a.body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
        },
      );
    });
  });
  await listen(front);
  const port = (front.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      agent.destroy();
      inner.closeAllConnections?.();
      await new Promise<void>((resolve) => inner.close(() => resolve()));
    },
  };
}

function validation(message: string): { status: number; body: Json } {
  return {
    status: 400,
    body: { __type: 'com.amazon.coral.validate#ValidationException', message },
  };
}
