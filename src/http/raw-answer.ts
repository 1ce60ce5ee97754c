import { STATUS_CODES } from 'node:http';
import type { Logger } from '../core/logger.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { ErrorDetail } from '../errors/libretto-error.js';
import { errorEnvelope } from './envelope.js';

/** An error answer decided before any route: status, code and message. */
export type Answer = readonly [status: number, code: ErrorCode, message: string];

/**
 * The bytes of an envelope answer to write directly on a socket (where Node gives no
 * response object: a parser error, `CONNECT`), with the request id and `Connection: close`.
 */
export function rawAnswer(
  answer: Answer,
  requestId: string,
  details: readonly ErrorDetail[] = [],
): string {
  const [status, code, message] = answer;
  const body = JSON.stringify(errorEnvelope(code, message, details));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `x-request-id: ${requestId}\r\n` +
    'connection: close\r\n\r\n' +
    body
  );
}

/** The `debug` line of a request refused as the client's mistake (one per answer). */
export function logRefused(
  log: Logger,
  requestId: string,
  status: number,
  code: ErrorCode,
  extra?: Readonly<Record<string, unknown>>,
): void {
  if (log.isLevelEnabled('debug')) {
    log.debug({ reqId: requestId, status, code, ...extra }, 'request refused');
  }
}
