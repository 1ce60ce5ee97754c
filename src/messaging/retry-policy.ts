import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { ConsumeOptions } from './broker.js';
import type { MessageFormat } from './plain-message.js';
import { checkQueueName } from './queue-name.js';

/** What happens to a message whose handler fails, resolved from `ConsumeOptions`. */
export interface RetryPolicy {
  /** Tries after the first. */
  readonly retries: number;
  /** Milliseconds before retry n (index n - 1). */
  readonly delays: readonly number[];
  /** The dead-letter queue, as the user names it (no prefix). */
  readonly deadLetter: string;
  readonly prefetch: number;
  /** How bodies are read. */
  readonly format: MessageFormat;
}

const OPTION_KEYS = new Set(['prefetch', 'retries', 'backoff', 'deadLetter', 'schema', 'format']);
const BACKOFF_KEYS = new Set(['initialDelay', 'factor', 'maxDelay']);

/** Defaults of `consume` beside `prefetch` (which comes from the settings). */
export const RETRY_DEFAULTS = Object.freeze({
  retries: 3,
  initialDelay: 1000,
  factor: 2,
  maxDelay: 60_000,
});

/**
 * Checks `consume` options (a `UsageError` `INVALID_OPTION` naming the option) and resolves
 * them: `retries` delays of `initialDelay × factor^n`, capped at `maxDelay`.
 */
export function retryPolicy(
  queue: string,
  options: ConsumeOptions<unknown>,
  defaultPrefetch: number,
): RetryPolicy {
  const where = `consume(${queue})`;
  rejectUnknownKeys(where, options, OPTION_KEYS);
  const backoff = options.backoff ?? {};
  rejectUnknownKeys(where, backoff, BACKOFF_KEYS, 'backoff.');
  const int = (
    path: string,
    value: number | undefined,
    min: number,
    max: number,
    fallback: number,
  ) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      invalidOption(where, path, `must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const num = (path: string, value: number | undefined, min: number, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      invalidOption(where, path, `must be a finite number, ${min} or more`);
    }
    return value;
  };
  const prefetch = int('prefetch', options.prefetch, 1, 65_535, defaultPrefetch);
  const retries = int('retries', options.retries, 0, 100, RETRY_DEFAULTS.retries);
  const initial = num('backoff.initialDelay', backoff.initialDelay, 1, RETRY_DEFAULTS.initialDelay);
  const factor = num('backoff.factor', backoff.factor, 1, RETRY_DEFAULTS.factor);
  const max = num(
    'backoff.maxDelay',
    backoff.maxDelay,
    initial,
    Math.max(initial, RETRY_DEFAULTS.maxDelay),
  );
  const delays = Array.from({ length: retries }, (_, n) =>
    Math.round(Math.min(max, initial * factor ** n)),
  );
  const deadLetter = options.deadLetter ?? `${queue}.dead-letter`;
  if (typeof deadLetter !== 'string' || deadLetter === '' || deadLetter === queue) {
    invalidOption(where, 'deadLetter', 'must be a queue name other than the consumed queue');
  }
  const format = options.format ?? 'envelope';
  if (format !== 'envelope' && format !== 'json') {
    invalidOption(where, 'format', "must be 'envelope' or 'json'");
  }
  return { retries, delays, deadLetter, prefetch, format };
}

/**
 * What every broker's `consume` checks before it touches the broker: the queue's name, the
 * handler, the options (resolved into the policy) and the dead-letter queue's name. Bad input
 * is a `UsageError` `INVALID_OPTION` naming it.
 */
export function consumeArguments(
  queue: string,
  handler: unknown,
  options: ConsumeOptions<unknown>,
  defaultPrefetch: number,
): RetryPolicy {
  checkQueueName('consume', queue);
  if (typeof handler !== 'function')
    invalidOption(`consume(${queue})`, 'handler', 'must be a function');
  const policy = retryPolicy(queue, options, defaultPrefetch);
  checkQueueName('consume', policy.deadLetter);
  return policy;
}
