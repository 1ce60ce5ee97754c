import { invalidOption } from '../errors/invalid-option.js';
import type { Broker, Consumer } from './broker.js';

// rococo's send_message / consume_messages on any broker: its wire format (plain JSON), the
// handler given the payload only. Each backend's sendMessage/consumeMessages is this.

/** `send` of the payload alone (`format: 'json'`). */
export async function sendPlainMessage(
  broker: Broker,
  queue: string,
  data: unknown,
): Promise<void> {
  await broker.send(queue, data, { format: 'json' });
}

/** `consume` of plain JSON, the handler given the payload only. */
export function consumePlainMessages<T>(
  broker: Broker,
  queue: string,
  handler: (data: T) => unknown,
): Promise<Consumer> {
  if (typeof handler !== 'function')
    invalidOption(`consumeMessages(${queue})`, 'handler', 'must be a function');
  return broker.consume<T>(queue, (message) => handler(message.data), { format: 'json' });
}
