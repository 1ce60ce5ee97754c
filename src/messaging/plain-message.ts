import { randomUUID } from 'node:crypto';
import { TransportIntegrityError } from '../errors/infrastructure-errors.js';
import type { MessageEnvelope } from './message-envelope.js';

/**
 * How messages look on the wire: `envelope` (Libretto's: the payload wrapped with its id,
 * key, type, headers and creation time) or `json` (the payload alone, as rococo's
 * `send_message` writes and its processors read; the id, type and time travel as AMQP
 * properties when the sender sets them).
 */
export type MessageFormat = 'envelope' | 'json';

/** The AMQP properties a plain message is read with. */
export interface PlainProperties {
  readonly messageId?: unknown;
  readonly type?: unknown;
  readonly timestamp?: unknown;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
}

/** The payload alone as the bytes a broker carries (UTF-8 JSON). */
export function encodePlain(data: unknown): Buffer {
  return Buffer.from(JSON.stringify(data), 'utf8');
}

/**
 * A plain JSON message read as an envelope: its id is the `message-id` property — or a new
 * one when the sender set none (rococo's producers set none: an inbox cannot dedupe those) —
 * its type the `type` property, its time the `timestamp` property (else now), its headers the
 * string ones of the AMQP headers. Not JSON: `MESSAGE_MALFORMED`, like a broken envelope.
 */
export function decodePlain(body: Buffer, properties: PlainProperties): MessageEnvelope {
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch (error) {
    const reason = `not JSON (${(error as Error).message})`;
    throw new TransportIntegrityError(`Malformed message: ${reason}`, {
      code: 'MESSAGE_MALFORMED',
      details: [{ reason }],
      cause: error,
    });
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties.headers ?? {})) {
    if (typeof value === 'string' && !name.startsWith('x-libretto-')) headers[name] = value;
  }
  const { messageId, type, timestamp } = properties;
  return {
    id: typeof messageId === 'string' && messageId !== '' ? messageId : randomUUID(),
    key: null,
    type: typeof type === 'string' && type !== '' ? type : null,
    headers,
    createdAt: new Date(
      typeof timestamp === 'number' ? timestamp * 1000 : Date.now(),
    ).toISOString(),
    data,
  };
}
