import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type * as Sdk from '@aws-sdk/client-sqs';
import {
  DependencyFailureError,
  DependencyUnavailableError,
} from '../errors/application-errors.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { maskSecrets } from '../internal/redaction.js';
import { describeSqs, type SqsSettings } from './sqs-settings.js';

type SdkModule = typeof Sdk;

/** What a queue's `RedrivePolicy` says, when it has one. */
export interface RedrivePolicy {
  /** The dead-letter queue's full name (the last part of its ARN). */
  readonly deadLetterQueue: string;
  readonly maxReceiveCount: number;
}

const MISSING_QUEUE = 'QueueDoesNotExist';

/** Whether `error` (thrown by {@link SqsClient.call}) says that the queue does not exist. */
export function isMissingQueue(error: unknown): boolean {
  return (error as { cause?: { name?: string } }).cause?.name === MISSING_QUEUE;
}

/** Loads the SDK (an optional peer) on first use. */
export function loadSqsSdk(): Promise<SdkModule> {
  return importOptionalPeer(
    '@aws-sdk/client-sqs',
    'The SQS broker',
    () => import('@aws-sdk/client-sqs'),
  );
}

/**
 * The SDK client with what the broker needs around it: a time limit per request, errors
 * turned into typed ones naming the endpoint and the queue, queue URLs resolved once per
 * name (created when missing), and whether the last request reached SQS (for readiness).
 */
export class SqsClient {
  readonly settings: SqsSettings;
  readonly sdk: SdkModule;
  readonly #client: Sdk.SQSClient;
  readonly #urls = new Map<string, Promise<string>>();
  #lastFailure: string | undefined;

  private constructor(settings: SqsSettings, sdk: SdkModule) {
    this.settings = settings;
    this.sdk = sdk;
    this.#client = new sdk.SQSClient({
      ...(settings.region === undefined ? {} : { region: settings.region }),
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(settings.accessKeyId === undefined || settings.secretAccessKey === undefined
        ? {}
        : {
            credentials: {
              accessKeyId: settings.accessKeyId,
              secretAccessKey: settings.secretAccessKey,
            },
          }),
      // The broker retries by itself (a send's caller, a consumer's next poll).
      maxAttempts: 1,
      // Each receiver holds a connection for its long poll: with the SDK's default of 50
      // sockets, a consumer of prefetch 500 would leave sends waiting behind the polls.
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true }),
        httpsAgent: new HttpsAgent({ keepAlive: true }),
      },
    });
  }

  static async open(settings: SqsSettings): Promise<SqsClient> {
    return new SqsClient(settings, await loadSqsSdk());
  }

  /** Why the last request failed to reach SQS, or undefined when it did reach it. */
  get lastFailure(): string | undefined {
    return this.#lastFailure;
  }

  /**
   * Sends `command` within `requestTimeout`, or until `signal` aborts (then rejects with the
   * signal's reason as is). Failures: `DependencyUnavailableError` (`BROKER_UNAVAILABLE`) when
   * SQS cannot be reached, throttles or fails on its side; `DependencyFailureError` with
   * `code` when it refuses the request.
   */
  async call<O>(
    command: { readonly input: object },
    queue: string | undefined,
    code: 'BROKER_SEND_REJECTED' | 'BROKER_TOPOLOGY' = 'BROKER_TOPOLOGY',
    signal?: AbortSignal,
  ): Promise<O> {
    const limit = AbortSignal.timeout(this.settings.requestTimeout * 1000);
    const abortSignal = signal === undefined ? limit : AbortSignal.any([signal, limit]);
    try {
      // biome-ignore lint/suspicious/noExplicitAny: every command goes through one client
      const output = (await this.#client.send(command as any, { abortSignal })) as O;
      this.#lastFailure = undefined;
      return output;
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      // Deleted behind our back: the next use resolves (and creates) it again.
      if (queue !== undefined && (error as { name?: string }).name === MISSING_QUEUE) {
        this.#urls.delete(queue);
      }
      throw this.#translate(error, queue, code, limit.aborted);
    }
  }

  #translate(
    error: unknown,
    queue: string | undefined,
    code: 'BROKER_SEND_REJECTED' | 'BROKER_TOPOLOGY',
    timedOut: boolean,
  ): Error {
    const where = describeSqs(this.settings);
    const on = queue === undefined ? '' : ` for queue ${queue}`;
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const reason = maskSecrets(
      timedOut
        ? `no answer within ${this.settings.requestTimeout} s`
        : `${e.name ?? 'Error'}: ${e.message ?? String(error)}`,
    );
    const unreachable =
      timedOut ||
      status === undefined ||
      status >= 500 ||
      e.name === 'ThrottlingException' ||
      e.name === 'RequestThrottled';
    const details = [{ endpoint: where, ...(queue === undefined ? {} : { queue }), reason }];
    if (unreachable) {
      this.#lastFailure = reason;
      return new DependencyUnavailableError(`${where} is unavailable${on}: ${reason}`, {
        code: 'BROKER_UNAVAILABLE',
        details,
        cause: error,
      });
    }
    this.#lastFailure = undefined;
    return new DependencyFailureError(`${where} refused the request${on}: ${reason}`, {
      code,
      details,
      cause: error,
    });
  }

  /** The URL of queue `name` (its full name), created when missing (a FIFO one for `.fifo`). */
  queueUrl(name: string): Promise<string> {
    let url = this.#urls.get(name);
    if (url === undefined) {
      url = this.#resolve(name);
      this.#urls.set(name, url);
      // A failure is not cached: the next use tries again.
      url.catch(() => this.#urls.delete(name));
    }
    return url;
  }

  async #resolve(name: string): Promise<string> {
    const { GetQueueUrlCommand, CreateQueueCommand } = this.sdk;
    try {
      const out = await this.call<Sdk.GetQueueUrlResult>(
        new GetQueueUrlCommand({ QueueName: name }),
        name,
      );
      if (out.QueueUrl !== undefined) return out.QueueUrl;
    } catch (error) {
      if (!isMissingQueue(error)) throw error;
    }
    const out = await this.call<Sdk.CreateQueueResult>(
      new CreateQueueCommand({
        QueueName: name,
        ...(name.endsWith('.fifo') ? { Attributes: { FifoQueue: 'true' } } : {}),
      }),
      name,
    );
    if (out.QueueUrl === undefined) throw new Error(`CreateQueue(${name}) returned no QueueUrl`);
    return out.QueueUrl;
  }

  /** The queue's own `RedrivePolicy`, or undefined when it has none. */
  async redrivePolicy(name: string): Promise<RedrivePolicy | undefined> {
    const out = await this.call<Sdk.GetQueueAttributesResult>(
      new this.sdk.GetQueueAttributesCommand({
        QueueUrl: await this.queueUrl(name),
        AttributeNames: ['RedrivePolicy'],
      }),
      name,
    );
    const text = out.Attributes?.RedrivePolicy;
    if (text === undefined || text === '') return undefined;
    const policy = JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
    return {
      deadLetterQueue:
        String(policy.deadLetterTargetArn ?? '')
          .split(':')
          .pop() ?? '',
      maxReceiveCount: Number(policy.maxReceiveCount),
    };
  }

  /** A cheap request that needs SQS to answer (lists at most one queue). */
  async ping(): Promise<void> {
    await this.call(
      new this.sdk.ListQueuesCommand({
        MaxResults: 1,
        ...(this.settings.queuePrefix === '' ? {} : { QueueNamePrefix: this.settings.queuePrefix }),
      }),
      undefined,
    );
  }

  close(): void {
    this.#client.destroy();
  }
}
