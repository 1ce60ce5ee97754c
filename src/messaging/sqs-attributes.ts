import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { MessageEnvelope } from './message-envelope.js';

/**
 * The message attributes Libretto sets on SQS messages beside `HEADERS`' dead-letter ones:
 * the envelope's id, key and type, so that a `json` message keeps them and a consumer can
 * route without reading the body.
 */
export const SQS_ATTRIBUTES = Object.freeze({
  id: 'x-libretto-id',
  key: 'x-libretto-key',
  type: 'x-libretto-type',
});

/** SQS carries at most this many message attributes per message. */
export const MAX_SQS_ATTRIBUTES = 10;

// SQS's rule for attribute names: letters, digits, `_`, `-`, `.`; no `AWS.`/`Amazon.` prefix.
const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)[A-Za-z0-9_-][A-Za-z0-9_.-]{0,255}$/i;

/** The attributes of a message: id, key and type, then the headers (those SQS can carry). */
export function envelopeAttributes(
  envelope: MessageEnvelope,
  plain: boolean,
): { attributes: Record<string, MessageAttributeValue>; dropped: string[] } {
  const attributes: Record<string, MessageAttributeValue> = {};
  const put = (name: string, value: string) => {
    attributes[name] = { DataType: 'String', StringValue: value };
  };
  put(SQS_ATTRIBUTES.id, envelope.id);
  if (envelope.key !== null) put(SQS_ATTRIBUTES.key, envelope.key);
  if (envelope.type !== null) put(SQS_ATTRIBUTES.type, envelope.type);
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(envelope.headers)) {
    // An envelope carries its headers in the body anyway; a plain message has only these.
    const fits = Object.keys(attributes).length < MAX_SQS_ATTRIBUTES;
    if (fits && ATTRIBUTE_NAME.test(name) && value !== '' && !name.startsWith('x-libretto-')) {
      put(name, value);
    } else if (plain) dropped.push(name);
  }
  return { attributes, dropped };
}

/** The string attributes of a received message, by name. */
export function stringAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value.StringValue !== undefined) out[name] = value.StringValue;
  }
  return out;
}
