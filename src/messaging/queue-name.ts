import { invalidOption } from '../errors/invalid-option.js';

/** The longest queue name accepted (RabbitMQ's limit is 255 bytes, with room for a prefix). */
export const MAX_QUEUE_NAME = 200;

/** Refuses a queue name that is empty, too long, or in the broker's own `amq.` namespace. */
export function checkQueueName(where: string, queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || queue === '' || queue.length > MAX_QUEUE_NAME) {
    invalidOption(
      where,
      'queue',
      `must be a non-empty name of at most ${MAX_QUEUE_NAME} characters`,
    );
  }
  if (queue.startsWith('amq.')) {
    invalidOption(where, 'queue', `"${queue}": names starting with amq. are the broker's`);
  }
}
