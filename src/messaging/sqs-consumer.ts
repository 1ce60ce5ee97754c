import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type * as z from 'zod';
import type { Logger } from '../core/logger.js';
import { maskSecrets } from '../internal/redaction.js';
import type { Consumer, MessageHandler } from './broker.js';
import { decodeEnvelope, type MessageEnvelope } from './message-envelope.js';
import { HEADERS } from './message-headers.js';
import { decodePlain } from './plain-message.js';
import type { RetryPolicy } from './retry-policy.js';
import { MAX_SQS_ATTRIBUTES, SQS_ATTRIBUTES, stringAttributes } from './sqs-attributes.js';
import type { RedrivePolicy, SqsClient } from './sqs-client.js';

/** What a consumer needs of its broker. */
export interface SqsConsumerContext {
  readonly client: SqsClient;
  /** The queue's name on SQS (prefixed, made SQS-valid). */
  readonly fullName: (queue: string) => string;
  readonly stopTimeoutMs: number;
  readonly logger: Logger | undefined;
  /** Called once the consumer has stopped. */
  readonly onStopped: (consumer: SqsConsumer) => void;
}

/** What becomes of a received message once its handler is done. */
type Outcome =
  | { readonly kind: 'delete' }
  /** Visible again after this many seconds (a retry, or a failed dead-lettering). */
  | { readonly kind: 'release'; readonly seconds: number }
  /** Nothing: the stop already released it. */
  | { readonly kind: 'none' };

/** A message whose handler runs. */
interface Flight {
  readonly receipt: string;
  readonly controller: AbortController;
  extender: NodeJS.Timeout | undefined;
}

/** SQS returns at most this many messages per receive. */
const RECEIVE_BATCH = 10;
/** The longest error text put in an attribute. */
const MAX_REASON = 1000;
/** Wait after a failed receive before the next one, doubled up to the max. */
const RETRY_RECEIVE_FIRST_MS = 500;
const RETRY_RECEIVE_MAX_MS = 15_000;

/**
 * One subscription to an SQS queue: long-polls it with `ceil(prefetch / 10)` receivers, so
 * that at most `prefetch` handlers run at once; keeps each message invisible while its
 * handler runs (ChangeMessageVisibility at half the visibility timeout); deletes it on
 * success (in batches), makes it visible again after the backoff delay on failure, and
 * dead-letters it after the last try — or leaves that to SQS when the queue has its own
 * RedrivePolicy. Poison goes to the dead-letter queue at once.
 */
export class SqsConsumer implements Consumer {
  readonly queue: string;
  readonly #ctx: SqsConsumerContext;
  readonly #handler: MessageHandler<unknown>;
  readonly #policy: RetryPolicy;
  readonly #schema: z.ZodType | undefined;
  readonly #name: string;
  readonly #visibility: number;
  readonly #running = new Set<Flight>();
  /** Messages asked for by receives under way (counted against `prefetch`). */
  #reserved = 0;
  #slotWaiters: (() => void)[] = [];
  readonly #polling = new AbortController();
  #receivers: Promise<void>[] = [];
  #url = '';
  #redrive: RedrivePolicy | undefined;
  #deadLetterName: string;
  #pendingDeletes: { receipt: string; done: () => void }[] = [];
  #deleteScheduled = false;
  #stopping: Promise<void> | undefined;

  constructor(
    ctx: SqsConsumerContext,
    queue: string,
    handler: MessageHandler<unknown>,
    policy: RetryPolicy,
    schema: z.ZodType | undefined,
  ) {
    this.queue = queue;
    this.#ctx = ctx;
    this.#handler = handler;
    this.#policy = policy;
    this.#schema = schema;
    this.#name = ctx.fullName(queue);
    this.#deadLetterName = ctx.fullName(policy.deadLetter);
    this.#visibility = ctx.client.settings.visibilityTimeout;
  }

  get inFlight(): number {
    return this.#running.size;
  }

  /** Resolves the queues (creating them when missing), reads the redrive policy, starts polling. */
  async start(): Promise<void> {
    const { client, logger } = this.#ctx;
    this.#url = await client.queueUrl(this.#name);
    this.#redrive = await client.redrivePolicy(this.#name);
    if (this.#redrive !== undefined) {
      this.#deadLetterName = this.#redrive.deadLetterQueue;
      logger?.info(
        {
          queue: this.#name,
          deadLetter: this.#deadLetterName,
          maxReceiveCount: this.#redrive.maxReceiveCount,
        },
        'the SQS queue has its own RedrivePolicy: SQS dead-letters failing messages after maxReceiveCount receives (the `retries` option is not used); poison still goes there at once',
      );
    }
    await client.queueUrl(this.#deadLetterName);
    const receivers = Math.ceil(this.#policy.prefetch / RECEIVE_BATCH);
    this.#receivers = Array.from({ length: receivers }, () => this.#receive());
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #receive(): Promise<void> {
    const { client, logger } = this.#ctx;
    const { ReceiveMessageCommand } = client.sdk;
    let failures = 0;
    const stopped = this.#polling.signal;
    while (!stopped.aborted) {
      const free = this.#policy.prefetch - this.#running.size - this.#reserved;
      if (free <= 0) {
        await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
        continue;
      }
      const asked = Math.min(RECEIVE_BATCH, free);
      this.#reserved += asked;
      let messages: Message[] = [];
      try {
        const out = await client.call<{ Messages?: Message[] }>(
          new ReceiveMessageCommand({
            // Cached; resolved (and created) again when the queue was deleted meanwhile.
            QueueUrl: await client.queueUrl(this.#name),
            MaxNumberOfMessages: asked,
            WaitTimeSeconds: client.settings.waitTime,
            VisibilityTimeout: this.#visibility,
            MessageSystemAttributeNames: [
              'ApproximateReceiveCount',
              'SentTimestamp',
              'MessageGroupId',
            ],
            MessageAttributeNames: ['All'],
          }),
          this.#name,
          'BROKER_TOPOLOGY',
          this.#polling.signal,
        );
        messages = out.Messages ?? [];
        failures = 0;
      } catch (error) {
        this.#reserved -= asked;
        if (stopped.aborted) return;
        failures++;
        const ms = Math.min(RETRY_RECEIVE_FIRST_MS * 2 ** (failures - 1), RETRY_RECEIVE_MAX_MS);
        logger?.warn(
          { queue: this.#name, reason: reasonText(error), retryInMs: ms },
          'SQS receive failed; polling again',
        );
        await this.#sleep(ms);
        continue;
      }
      this.#reserved -= asked;
      for (const message of messages) {
        if (stopped.aborted) {
          // Received as the consumer stopped: back to the queue at once, untouched.
          void this.#release(message.ReceiptHandle ?? '', 0);
        } else void this.#handle(message);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#polling.signal.addEventListener('abort', done, { once: true });
    });
  }

  async #handle(message: Message): Promise<void> {
    const flight: Flight = {
      receipt: message.ReceiptHandle ?? '',
      controller: new AbortController(),
      extender: undefined,
    };
    this.#running.add(flight);
    // Keeps the message hidden while the handler runs: extended well before it expires.
    flight.extender = setInterval(
      () => void this.#extend(flight),
      Math.max(500, (this.#visibility * 1000) / 2),
    );
    try {
      let outcome: Outcome;
      try {
        outcome = await this.#process(message, flight.controller.signal);
      } catch (error) {
        this.#ctx.logger?.warn({ queue: this.#name, reason: reasonText(error) }, 'message failed');
        outcome = { kind: 'release', seconds: 0 };
      }
      clearInterval(flight.extender);
      // After a stop's grace period the stop has released it: nothing unfinished is deleted.
      if (flight.controller.signal.aborted) return;
      if (outcome.kind === 'delete') await this.#delete(flight.receipt);
      else if (outcome.kind === 'release') await this.#release(flight.receipt, outcome.seconds);
    } finally {
      clearInterval(flight.extender);
      this.#running.delete(flight);
      for (const wake of this.#slotWaiters.splice(0)) wake();
    }
  }

  async #extend(flight: Flight): Promise<void> {
    if (flight.controller.signal.aborted) return;
    try {
      await this.#ctx.client.call(
        new this.#ctx.client.sdk.ChangeMessageVisibilityCommand({
          QueueUrl: this.#url,
          ReceiptHandle: flight.receipt,
          VisibilityTimeout: this.#visibility,
        }),
        this.#name,
      );
    } catch (error) {
      this.#ctx.logger?.warn(
        { queue: this.#name, reason: reasonText(error) },
        'could not extend the visibility of a message in work; SQS may deliver it again',
      );
    }
  }

  async #process(message: Message, signal: AbortSignal): Promise<Outcome> {
    const receives = Math.max(1, Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1);
    let envelope: MessageEnvelope;
    let data: unknown;
    try {
      envelope = this.#decode(message);
      data = this.#schema === undefined ? envelope.data : this.#parse(envelope.data);
    } catch (error) {
      return this.#deadLetterIt(message, reasonText(error), receives);
    }
    // SQS counts receives: a retry and a redelivery alike make the next attempt.
    const attempt = receives;
    try {
      await this.#handler({
        ...envelope,
        data,
        queue: this.queue,
        attempt,
        redelivered: receives > 1,
        signal,
      });
      return { kind: 'delete' };
    } catch (error) {
      if (signal.aborted) return { kind: 'none' };
      const reason = reasonText(error);
      const delays = this.#policy.delays;
      if (this.#redrive !== undefined) {
        // SQS moves it to the policy's dead-letter queue once it has been received maxReceiveCount times.
        const delay = delays[Math.min(attempt, delays.length) - 1] ?? 0;
        this.#ctx.logger?.warn(
          { queue: this.#name, id: envelope.id, attempt, reason },
          'message handler failed; SQS delivers it again after the backoff (its RedrivePolicy dead-letters it)',
        );
        return { kind: 'release', seconds: Math.ceil(delay / 1000) };
      }
      const delay = delays[attempt - 1];
      if (delay === undefined) {
        return this.#deadLetterIt(message, `handler failed ${attempt} times: ${reason}`, attempt);
      }
      this.#ctx.logger?.warn(
        { queue: this.#name, id: envelope.id, attempt, reason },
        'message handler failed; retrying after backoff',
      );
      return { kind: 'release', seconds: Math.ceil(delay / 1000) };
    }
  }

  #decode(message: Message): MessageEnvelope {
    const body = message.Body ?? '';
    if (this.#policy.format === 'envelope') return decodeEnvelope(body);
    const attributes = stringAttributes(message.MessageAttributes);
    const sent = Number(message.Attributes?.SentTimestamp);
    const envelope = decodePlain(Buffer.from(body, 'utf8'), {
      messageId: attributes[SQS_ATTRIBUTES.id] ?? message.MessageId,
      type: attributes[SQS_ATTRIBUTES.type],
      timestamp: Number.isFinite(sent) ? sent / 1000 : undefined,
      headers: attributes,
    });
    return { ...envelope, key: attributes[SQS_ATTRIBUTES.key] ?? null };
  }

  #parse(data: unknown): unknown {
    const result = (this.#schema as z.ZodType).safeParse(data);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path =
      issue === undefined || issue.path.length === 0 ? 'data' : `data.${issue.path.join('.')}`;
    throw new Error(`invalid data: ${path}: ${issue?.message ?? 'does not match the schema'}`);
  }

  /** Sends a copy to the dead-letter queue with the reason attributes, then deletes it. */
  async #deadLetterIt(message: Message, reason: string, attempts: number): Promise<Outcome> {
    const { client, logger } = this.#ctx;
    logger?.error(
      { queue: this.#name, deadLetter: this.#deadLetterName, reason },
      'message dead-lettered',
    );
    const reasons: Record<string, MessageAttributeValue> = {
      [HEADERS.deadReason]: { DataType: 'String', StringValue: reason },
      [HEADERS.attempts]: { DataType: 'Number', StringValue: String(attempts) },
      [HEADERS.queue]: { DataType: 'String', StringValue: this.#name },
      [HEADERS.deadAt]: { DataType: 'String', StringValue: new Date().toISOString() },
    };
    // SQS carries ten attributes: the reasons first, then Libretto's, then the headers.
    const kept = Object.entries(message.MessageAttributes ?? {})
      .sort(
        ([a], [b]) => Number(!a.startsWith('x-libretto-')) - Number(!b.startsWith('x-libretto-')),
      )
      .filter(([name]) => !(name in reasons))
      .slice(0, MAX_SQS_ATTRIBUTES - Object.keys(reasons).length);
    const group = message.Attributes?.MessageGroupId;
    try {
      await client.call(
        new client.sdk.SendMessageCommand({
          QueueUrl: await client.queueUrl(this.#deadLetterName),
          MessageBody: message.Body ?? '',
          MessageAttributes: { ...Object.fromEntries(kept), ...reasons },
          ...(this.#deadLetterName.endsWith('.fifo')
            ? {
                MessageGroupId: group ?? this.#name,
                MessageDeduplicationId: String(message.MessageId),
              }
            : {}),
        }),
        this.#deadLetterName,
        'BROKER_SEND_REJECTED',
      );
      return { kind: 'delete' };
    } catch (error) {
      const seconds = Math.ceil((this.#policy.delays[0] ?? 1000) / 1000);
      logger?.warn(
        { queue: this.#name, target: this.#deadLetterName, reason: reasonText(error) },
        'could not dead-letter a message; it becomes visible again',
      );
      return { kind: 'release', seconds };
    }
  }

  /** Deletes a handled message; deletes of one turn go as one batch. */
  #delete(receipt: string): Promise<void> {
    return new Promise((done) => {
      this.#pendingDeletes.push({ receipt, done });
      if (this.#pendingDeletes.length >= RECEIVE_BATCH) void this.#flushDeletes();
      else if (!this.#deleteScheduled) {
        this.#deleteScheduled = true;
        setImmediate(() => void this.#flushDeletes());
      }
    });
  }

  async #flushDeletes(): Promise<void> {
    this.#deleteScheduled = false;
    const batch = this.#pendingDeletes.splice(0, RECEIVE_BATCH);
    if (batch.length === 0) return;
    const { client, logger } = this.#ctx;
    try {
      if (batch.length === 1) {
        await client.call(
          new client.sdk.DeleteMessageCommand({
            QueueUrl: this.#url,
            ReceiptHandle: (batch[0] as { receipt: string }).receipt,
          }),
          this.#name,
        );
      } else {
        const out = await client.call<{ Failed?: { Id?: string; Message?: string }[] }>(
          new client.sdk.DeleteMessageBatchCommand({
            QueueUrl: this.#url,
            Entries: batch.map((d, n) => ({ Id: String(n), ReceiptHandle: d.receipt })),
          }),
          this.#name,
        );
        for (const failed of out.Failed ?? []) {
          logger?.warn(
            { queue: this.#name, reason: failed.Message },
            'SQS did not delete a handled message; it may be delivered again',
          );
        }
      }
    } catch (error) {
      logger?.warn(
        { queue: this.#name, reason: reasonText(error), messages: batch.length },
        'could not delete handled messages; SQS delivers them again',
      );
    } finally {
      for (const d of batch) d.done();
    }
    if (this.#pendingDeletes.length > 0) await this.#flushDeletes();
  }

  /** Makes a message visible again in `seconds` (0: at once). */
  async #release(receipt: string, seconds: number): Promise<void> {
    try {
      await this.#ctx.client.call(
        new this.#ctx.client.sdk.ChangeMessageVisibilityCommand({
          QueueUrl: this.#url,
          ReceiptHandle: receipt,
          VisibilityTimeout: Math.min(seconds, 43_200),
        }),
        this.#name,
      );
    } catch (error) {
      // It becomes visible anyway once its visibility timeout ends.
      this.#ctx.logger?.warn(
        { queue: this.#name, reason: reasonText(error) },
        'could not make a message visible again; it is after its visibility timeout',
      );
    }
  }

  async #stop(): Promise<void> {
    const deadline = Date.now() + this.#ctx.stopTimeoutMs;
    // No new messages: the long polls under way end now.
    this.#polling.abort();
    for (const wake of this.#slotWaiters.splice(0)) wake();
    await Promise.all(this.#receivers);
    while (this.#running.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    if (this.#running.size > 0) {
      this.#ctx.logger?.warn(
        { queue: this.#name, unfinished: this.#running.size },
        'consumer stopped with handlers still running; their messages go back to the queue',
      );
      await Promise.all(
        [...this.#running].map((flight) => {
          clearInterval(flight.extender);
          flight.controller.abort();
          this.#running.delete(flight);
          return this.#release(flight.receipt, 0);
        }),
      );
    }
    await this.#flushDeletes();
    this.#ctx.onStopped(this);
  }
}

function reasonText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const masked = maskSecrets(text);
  return masked.length > MAX_REASON ? `${masked.slice(0, MAX_REASON)}…` : masked;
}
