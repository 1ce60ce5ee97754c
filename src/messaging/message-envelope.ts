import { randomUUID } from 'node:crypto';
import { TransportIntegrityError } from '../errors/infrastructure-errors.js';

/**
 * What travels on the wire: the payload (`data`) wrapped with what every consumer, relay and
 * inbox needs to know about it, serialized as one JSON object.
 *
 * @example
 * // {"id":"0b6f…","key":"order-42","type":"OrderPlaced","headers":{},"createdAt":"2026-…","data":{…}}
 */
export interface MessageEnvelope<T = unknown> {
  /** Unique per message; a consumer's inbox dedupes on it. Resends keep it. */
  readonly id: string;
  /** The ordering key (messages with one key keep their order), or `null`. */
  readonly key: string | null;
  /** What the message means (`OrderPlaced`), for routing in a handler; or `null`. */
  readonly type: string | null;
  /** Free string metadata (trace ids, tenant). */
  readonly headers: Readonly<Record<string, string>>;
  /** When the message was created (ISO 8601), not when it was delivered. */
  readonly createdAt: string;
  /** The payload: any JSON value. */
  readonly data: T;
}

/** What a sender may fix of an envelope; the rest is generated. */
export interface EnvelopeFields {
  readonly id?: string | undefined;
  readonly key?: string | null | undefined;
  readonly type?: string | null | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly createdAt?: Date | string | undefined;
}

/** Builds the envelope of `data`: a new random id and the current time unless given. */
export function createEnvelope<T>(data: T, fields: EnvelopeFields = {}): MessageEnvelope<T> {
  const createdAt = fields.createdAt ?? new Date();
  return {
    id: fields.id ?? randomUUID(),
    key: fields.key ?? null,
    type: fields.type ?? null,
    headers: { ...fields.headers },
    createdAt: typeof createdAt === 'string' ? createdAt : createdAt.toISOString(),
    data,
  };
}

/** The envelope as the bytes a broker carries (UTF-8 JSON). */
export function encodeEnvelope(envelope: MessageEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * Reads an envelope back from the bytes a broker delivered. Anything else — not UTF-8 JSON,
 * or JSON that is not an envelope — is a `TransportIntegrityError` (`MESSAGE_MALFORMED`)
 * whose first line says what is wrong: such a message is poison, retrying cannot help.
 */
export function decodeEnvelope(body: Buffer | string): MessageEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw malformed(`not JSON (${(error as Error).message})`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`not an envelope: a JSON ${Array.isArray(value) ? 'array' : typeof value}`);
  }
  const e = value as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id === '') throw malformed('not an envelope: no string id');
  for (const field of ['key', 'type'] as const) {
    if (e[field] !== null && e[field] !== undefined && typeof e[field] !== 'string') {
      throw malformed(`not an envelope: ${field} is neither a string nor null`);
    }
  }
  if (typeof e.createdAt !== 'string' || Number.isNaN(Date.parse(e.createdAt))) {
    throw malformed('not an envelope: createdAt is not an ISO date');
  }
  const headers = e.headers ?? {};
  if (
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    Object.values(headers).some((v) => typeof v !== 'string')
  ) {
    throw malformed('not an envelope: headers is not an object of strings');
  }
  if (!('data' in e)) throw malformed('not an envelope: no data');
  return {
    id: e.id,
    key: (e.key as string | null | undefined) ?? null,
    type: (e.type as string | null | undefined) ?? null,
    headers: headers as Record<string, string>,
    createdAt: e.createdAt,
    data: e.data,
  };
}

function malformed(reason: string, cause?: unknown): TransportIntegrityError {
  return new TransportIntegrityError(`Malformed message: ${reason}`, {
    code: 'MESSAGE_MALFORMED',
    details: [{ reason }],
    ...(cause === undefined ? {} : { cause }),
  });
}
