import { invalidOption } from '../errors/invalid-option.js';

declare const dataType: unique symbol;

/** The statuses a route may declare for its successes (the 2xx of RFC 9110 and WebDAV). */
export type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226;

const SUCCESS_STATUSES: ReadonlySet<number> = new Set([
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
]);

/** Whether `status` is a {@link SuccessStatus}. */
export function isSuccessStatus(status: unknown): status is SuccessStatus {
  return SUCCESS_STATUSES.has(status as number);
}

/**
 * A handler result with a status other than the route's first (or no body). Build it with
 * `created`, `accepted`, `noContent` or `withStatus`; the route must declare the status
 * (`status: [200, 201]`), which its type checks. The data is still wrapped in the envelope.
 */
export class Outcome<T, S extends SuccessStatus = SuccessStatus> {
  declare readonly [dataType]: T;
  constructor(
    readonly status: S,
    readonly data: T,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** 201 Created, with the created resource as data (and optionally its `Location`). */
export function created<T>(data: T, location?: string): Outcome<T, 201> {
  return new Outcome(201, data, location === undefined ? {} : { location });
}

/** 202 Accepted: the work was queued. */
export function accepted<T>(data: T): Outcome<T, 202> {
  return new Outcome(202, data);
}

/** 204 No Content: an empty response, no envelope. */
export function noContent(): Outcome<undefined, 204> {
  return new Outcome(204, undefined);
}

/** Any success status with data. */
export function withStatus<S extends SuccessStatus, T>(
  status: S,
  data: T,
  headers?: Record<string, string>,
): Outcome<T, S> {
  if (!isSuccessStatus(status)) {
    invalidOption('withStatus', 'status', `${String(status)} is not a success status (2xx)`);
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
