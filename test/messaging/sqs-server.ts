// A protocol-level Amazon SQS server for the tests: an HTTP server answering the JSON protocol
// the current AWS SDK speaks (POST /, `X-Amz-Target: AmazonSQS.<Action>`,
// `application/x-amz-json-1.0`) for the actions SqsBroker uses. It keeps queues in memory with
// visibility timeouts, receipt handles, ApproximateReceiveCount, delays, long polling,
// RedrivePolicy (maxReceiveCount) and FIFO queues (one message in flight per group, in order,
// deduplication ids for five minutes). Requests are not authenticated. No npm SQS emulator
// speaks this protocol (sqslite answers the older query/XML one), hence this file.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const DEDUPE_WINDOW_MS = 5 * 60_000;

interface Attribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

/** A message as the server holds it. */
export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, Attribute>>;
  readonly groupId: string | undefined;
  readonly sentAt: number;
  receiveCount: number;
  /** When it may be received (delay or visibility timeout), ms since the epoch. */
  visibleAt: number;
  /** The receipt handle of its latest receive, while it is in flight. */
  receipt: string | undefined;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
  readonly attributes: Record<string, string>;
  messages: StoredMessage[];
  readonly dedupe: Map<string, { id: string; at: number }>;
}

interface Waiter {
  readonly queue: Queue;
  readonly wake: () => void;
}

class SqsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly queryCode = type,
  ) {
    super(message);
  }
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** A local SQS endpoint: `await SqsServer.start()`, then its `endpoint` for the SDK. */
export class SqsServer {
  readonly #server: Server;
  readonly #queues = new Map<string, Queue>();
  readonly #waiters = new Set<Waiter>();
  /** Every action received, in order (`SendMessage`, `ReceiveMessage`, …). */
  readonly calls: string[] = [];
  endpoint = '';

  private constructor() {
    this.#server = createServer((req, res) => void this.#serve(req, res));
  }

  static async start(): Promise<SqsServer> {
    const server = new SqsServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    const { port } = server.#server.address() as AddressInfo;
    server.endpoint = `http://127.0.0.1:${port}`;
    return server;
  }

  async close(): Promise<void> {
    for (const waiter of this.#waiters) waiter.wake();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The messages of queue `name` (undefined when it does not exist), in flight or not. */
  messages(name: string): StoredMessage[] | undefined {
    return this.#queues.get(name)?.messages;
  }

  /** The queue's attributes (undefined when it does not exist). */
  queueAttributes(name: string): Record<string, string> | undefined {
    return this.#queues.get(name)?.attributes;
  }

  /** Creates a queue directly, with attributes such as `RedrivePolicy`. */
  createQueue(name: string, attributes: Record<string, string> = {}): string {
    return this.#create(name, attributes).url;
  }

  /** Deletes a queue and its messages; its long polls end with QueueDoesNotExist. */
  deleteQueue(name: string): void {
    const queue = this.#queues.get(name);
    this.#queues.delete(name);
    if (queue !== undefined) this.#wake(queue);
  }

  /** Puts a raw body on a queue, as another producer would. */
  put(name: string, body: string): void {
    const queue = this.#create(name, {});
    this.#enqueue(queue, body, {}, undefined, 0);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    this.calls.push(action);
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const output = await this.#dispatch(action, input, closed.signal);
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(output));
    } catch (error) {
      const fault =
        error instanceof SqsFault ? error : new SqsFault('InternalError', String(error));
      if (res.destroyed) return;
      res.writeHead(fault.type === 'InternalError' ? 500 : 400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `AWS.SimpleQueueService.${fault.queryCode};Sender`,
      });
      res.end(
        JSON.stringify({ __type: `com.amazonaws.sqs#${fault.type}`, message: fault.message }),
      );
    }
  }

  #dispatch(action: string, input: Record<string, unknown>, closed: AbortSignal): unknown {
    switch (action) {
      case 'CreateQueue':
        return {
          QueueUrl: this.#create(
            String(input.QueueName),
            (input.Attributes ?? {}) as Record<string, string>,
          ).url,
        };
      case 'GetQueueUrl':
        return { QueueUrl: this.#named(String(input.QueueName)).url };
      case 'ListQueues':
        return {
          QueueUrls: [...this.#queues.values()]
            .filter((q) => q.name.startsWith(String(input.QueueNamePrefix ?? '')))
            .map((q) => q.url),
        };
      case 'DeleteQueue':
        this.deleteQueue(this.#byUrl(input.QueueUrl).name);
        return {};
      case 'GetQueueAttributes':
        return { Attributes: this.#attributesOf(this.#byUrl(input.QueueUrl)) };
      case 'SetQueueAttributes':
        Object.assign(this.#byUrl(input.QueueUrl).attributes, input.Attributes);
        return {};
      case 'SendMessage':
        return this.#send(this.#byUrl(input.QueueUrl), input);
      case 'ReceiveMessage':
        return this.#receive(this.#byUrl(input.QueueUrl), input, closed);
      case 'DeleteMessage':
        this.#delete(this.#byUrl(input.QueueUrl), String(input.ReceiptHandle));
        return {};
      case 'DeleteMessageBatch': {
        const queue = this.#byUrl(input.QueueUrl);
        const entries = input.Entries as { Id: string; ReceiptHandle: string }[];
        for (const entry of entries) this.#delete(queue, entry.ReceiptHandle);
        return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
      }
      case 'ChangeMessageVisibility':
        this.#changeVisibility(
          this.#byUrl(input.QueueUrl),
          String(input.ReceiptHandle),
          Number(input.VisibilityTimeout),
        );
        return {};
      default:
        throw new SqsFault('InvalidAction', `The action ${action || '(none)'} is not valid`);
    }
  }

  #create(name: string, attributes: Record<string, string>): Queue {
    const existing = this.#queues.get(name);
    if (existing !== undefined) return existing;
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name)) {
      throw new SqsFault('InvalidParameterValue', `Invalid queue name: ${name}`);
    }
    const fifo = name.endsWith('.fifo');
    if (fifo !== (attributes.FifoQueue === 'true')) {
      throw new SqsFault(
        'InvalidAttributeValue',
        'A FIFO queue name ends with .fifo and has FifoQueue=true',
      );
    }
    const queue: Queue = {
      name,
      url: `${this.endpoint}/${ACCOUNT}/${name}`,
      fifo,
      attributes: { VisibilityTimeout: '30', DelaySeconds: '0', ...attributes },
      messages: [],
      dedupe: new Map(),
    };
    this.#queues.set(name, queue);
    return queue;
  }

  #named(name: string): Queue {
    const queue = this.#queues.get(name);
    if (queue === undefined) {
      throw new SqsFault(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'NonExistentQueue',
      );
    }
    return queue;
  }

  #byUrl(url: unknown): Queue {
    return this.#named(String(url).split('/').pop() ?? '');
  }

  #attributesOf(queue: Queue): Record<string, string> {
    const now = Date.now();
    const inFlight = queue.messages.filter((m) => m.receipt !== undefined && m.visibleAt > now);
    return {
      ...queue.attributes,
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue.name}`,
      ApproximateNumberOfMessages: String(queue.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(inFlight.length),
    };
  }

  #send(queue: Queue, input: Record<string, unknown>): unknown {
    const body = String(input.MessageBody ?? '');
    const attributes = (input.MessageAttributes ?? {}) as Record<string, Attribute>;
    if (Object.keys(attributes).length > 10) {
      throw new SqsFault('InvalidParameterValue', 'Number of message attributes exceeds 10');
    }
    const delay = Number(input.DelaySeconds ?? queue.attributes.DelaySeconds ?? 0);
    if (delay > 900) throw new SqsFault('InvalidParameterValue', 'DelaySeconds must be ≤ 900');
    let groupId: string | undefined;
    if (queue.fifo) {
      if (typeof input.MessageGroupId !== 'string') {
        throw new SqsFault('MissingParameter', 'MessageGroupId is required for FIFO queues');
      }
      if (input.DelaySeconds !== undefined && delay > 0) {
        throw new SqsFault('InvalidParameterValue', 'FIFO queues take no per-message delay');
      }
      groupId = input.MessageGroupId;
      const dedupeId = input.MessageDeduplicationId;
      if (typeof dedupeId !== 'string') {
        throw new SqsFault('InvalidParameterValue', 'MessageDeduplicationId is required');
      }
      const seen = queue.dedupe.get(dedupeId);
      if (seen !== undefined && Date.now() - seen.at < DEDUPE_WINDOW_MS) {
        return { MessageId: seen.id, MD5OfMessageBody: md5(body) };
      }
      const id = this.#enqueue(queue, body, attributes, groupId, 0);
      queue.dedupe.set(dedupeId, { id, at: Date.now() });
      return { MessageId: id, MD5OfMessageBody: md5(body) };
    }
    const id = this.#enqueue(queue, body, attributes, groupId, delay);
    return { MessageId: id, MD5OfMessageBody: md5(body) };
  }

  #enqueue(
    queue: Queue,
    body: string,
    attributes: Record<string, Attribute>,
    groupId: string | undefined,
    delaySeconds: number,
  ): string {
    const id = randomUUID();
    queue.messages.push({
      id,
      body,
      attributes,
      groupId,
      sentAt: Date.now(),
      receiveCount: 0,
      visibleAt: Date.now() + delaySeconds * 1000,
      receipt: undefined,
    });
    if (delaySeconds > 0) setTimeout(() => this.#wake(queue), delaySeconds * 1000).unref();
    this.#wake(queue);
    return id;
  }

  #wake(queue: Queue): void {
    for (const waiter of this.#waiters) if (waiter.queue === queue) waiter.wake();
  }

  async #receive(
    queue: Queue,
    input: Record<string, unknown>,
    closed: AbortSignal,
  ): Promise<unknown> {
    const max = Number(input.MaxNumberOfMessages ?? 1);
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new SqsFault('InvalidParameterValue', 'MaxNumberOfMessages must be from 1 to 10');
    }
    const wait = Number(
      input.WaitTimeSeconds ?? queue.attributes.ReceiveMessageWaitTimeSeconds ?? 0,
    );
    const visibility = Number(input.VisibilityTimeout ?? queue.attributes.VisibilityTimeout);
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      // A client that gave up gets nothing: what it would have got stays in the queue.
      if (closed.aborted) return { Messages: [] };
      if (this.#queues.get(queue.name) !== queue) this.#named('');
      const taken = this.#take(queue, max, visibility);
      if (taken.length > 0 || Date.now() >= deadline) {
        return { Messages: taken.map((m) => this.#view(m)) };
      }
      // Sleep until something may have changed: a send, a visibility change, the next
      // message's visibility time, the deadline, or the client giving up.
      const nextVisible = Math.min(
        deadline,
        ...queue.messages.map((m) => m.visibleAt).filter((t) => t > Date.now()),
      );
      await new Promise<void>((resolve) => {
        const waiter: Waiter = { queue, wake: () => done() };
        const timer = setTimeout(() => done(), Math.max(1, nextVisible - Date.now()));
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          closed.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.add(waiter);
        closed.addEventListener('abort', done);
      });
      // A client that aborts its poll (a consumer stopping) closes the connection: let that
      // be seen before taking messages it would never get. AWS has this race too, and there
      // such a message stays hidden until its visibility timeout ends.
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Takes up to `max` visible messages (FIFO: none of a group with one in flight). */
  #take(queue: Queue, max: number, visibility: number): StoredMessage[] {
    const now = Date.now();
    const redrive = queue.attributes.RedrivePolicy;
    const policy =
      redrive === undefined
        ? undefined
        : (JSON.parse(redrive) as { deadLetterTargetArn: string; maxReceiveCount: number });
    const busyGroups = new Set(
      queue.messages
        .filter((m) => m.visibleAt > now && m.receipt !== undefined)
        .map((m) => m.groupId),
    );
    const out: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.fifo && busyGroups.has(message.groupId)) continue;
      if (policy !== undefined && message.receiveCount >= Number(policy.maxReceiveCount)) {
        // Received as often as the policy allows: SQS moves it to the dead-letter queue.
        const target = this.#named(policy.deadLetterTargetArn.split(':').pop() ?? '');
        queue.messages = queue.messages.filter((m) => m !== message);
        target.messages.push({ ...message, receipt: undefined, visibleAt: now });
        this.#wake(target);
        continue;
      }
      message.receiveCount++;
      message.receipt = `${message.id}#${randomUUID()}`;
      message.visibleAt = now + visibility * 1000;
      if (queue.fifo) busyGroups.add(message.groupId);
      out.push(message);
    }
    if (out.length > 0) {
      // A message whose visibility timeout ends is received again once it does.
      const soonest = Math.min(...out.map((m) => m.visibleAt));
      setTimeout(() => this.#wake(queue), Math.max(1, soonest - Date.now())).unref();
    }
    return out;
  }

  #view(message: StoredMessage): unknown {
    return {
      MessageId: message.id,
      ReceiptHandle: message.receipt,
      MD5OfBody: md5(message.body),
      Body: message.body,
      Attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        ...(message.groupId === undefined ? {} : { MessageGroupId: message.groupId }),
      },
      ...(Object.keys(message.attributes).length === 0
        ? {}
        : { MessageAttributes: message.attributes }),
    };
  }

  #byReceipt(queue: Queue, receipt: string): StoredMessage | undefined {
    const id = receipt.split('#')[0];
    return queue.messages.find((m) => m.id === id);
  }

  #delete(queue: Queue, receipt: string): void {
    if (!receipt.includes('#')) {
      throw new SqsFault(
        'ReceiptHandleIsInvalid',
        'The receipt handle is not valid',
        'ReceiptHandleIsInvalid',
      );
    }
    const message = this.#byReceipt(queue, receipt);
    if (message !== undefined) queue.messages = queue.messages.filter((m) => m !== message);
    this.#wake(queue);
  }

  #changeVisibility(queue: Queue, receipt: string, seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
      throw new SqsFault('InvalidParameterValue', 'VisibilityTimeout must be from 0 to 43200');
    }
    const message = this.#byReceipt(queue, receipt);
    if (message === undefined || message.receipt !== receipt || message.visibleAt <= Date.now()) {
      throw new SqsFault(
        'MessageNotInflight',
        'The message is not in flight',
        'MessageNotInflight',
      );
    }
    message.visibleAt = Date.now() + seconds * 1000;
    if (seconds === 0) message.receipt = undefined;
    else setTimeout(() => this.#wake(queue), seconds * 1000).unref();
    this.#wake(queue);
  }
}
