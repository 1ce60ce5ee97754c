import { invalidOption } from '../errors/invalid-option.js';

/** The longest queue name SQS accepts, `.fifo` included. */
export const MAX_SQS_QUEUE_NAME = 80;

const FIFO = '.fifo';

/**
 * The name of a queue on SQS, which allows letters, digits, `-` and `_` only (and a `.fifo`
 * suffix): every other character becomes `-`, so `staging.orders.dead-letter` is
 * `staging-orders-dead-letter`. Longer than 80 characters: a `UsageError`.
 */
export function sqsQueueName(where: string, name: string): string {
  const fifo = name.endsWith(FIFO);
  const base = fifo ? name.slice(0, -FIFO.length) : name;
  const out = `${base.replace(/[^A-Za-z0-9_-]/g, '-')}${fifo ? FIFO : ''}`;
  if (out.length > MAX_SQS_QUEUE_NAME || base === '') {
    invalidOption(
      where,
      'queue',
      `"${out}" is not an SQS queue name: 1 to ${MAX_SQS_QUEUE_NAME} characters, prefix and .fifo included`,
    );
  }
  return out;
}
