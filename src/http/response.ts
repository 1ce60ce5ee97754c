import { invalidOption } from '../errors/invalid-option.js';

declare const dataType: unique symbol;

/**
 * A handler result with a status other than 200 (or no body). Build it with `created`,
 * `accepted`, `noContent` or `withStatus`; the data is still wrapped in the envelope.
 */
export class Outcome<T> {
  declare readonly [dataType]: T;
  constructor(
    readonly status: number,
    readonly data: T,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** 201 Created, with the created resource as data (and optionally its `Location`). */
export function created<T>(data: T, location?: string): Outcome<T> {
  return new Outcome(201, data, location === undefined ? {} : { location });
}

/** 202 Accepted: the work was queued. */
export function accepted<T>(data: T): Outcome<T> {
  return new Outcome(202, data);
}

/** 204 No Content: an empty response, no envelope. */
export function noContent(): Outcome<undefined> {
  return new Outcome(204, undefined);
}

/** Any 2xx status with data. */
export function withStatus<T>(
  status: number,
  data: T,
  headers?: Record<string, string>,
): Outcome<T> {
  if (!Number.isInteger(status) || status < 200 || status > 299) {
    invalidOption('withStatus', 'status', `${status} is not a success status (200-299)`);
  }
  return new Outcome(status, data, headers);
}

/**
 * A body sent exactly as given — a string, Buffer or stream — with no envelope and no
 * validation: files, CSV exports, proxies.
 */
export class RawResponse {
  constructor(
    readonly body: unknown,
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
  ) {}
}

/** Sends `body` untouched. */
export function raw(
  body: string | Uint8Array | NodeJS.ReadableStream,
  options: { status?: number; contentType?: string; headers?: Record<string, string> } = {},
): RawResponse {
  const headers = { ...options.headers };
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  return new RawResponse(body, options.status ?? 200, headers);
}
