import type { Socket } from 'node:net';
import type { Logger } from '../core/logger.js';
import { requestInFlight, URL_TOO_LONG } from './edge-server.js';
import { type Answer, logRefused, rawAnswer } from './raw-answer.js';

/** Node's `clientError` listener: answers what its HTTP parser refused, then closes. */
export type ClientErrorHandler = (error: Error, socket: Socket) => void;

// Answers several parser codes share.
const AMBIGUOUS: Answer = [
  400,
  'AMBIGUOUS_BODY_LENGTH',
  'The body length is ambiguous (Content-Length, Transfer-Encoding)',
];
const BAD_VERSION: Answer = [
  400,
  'UNSUPPORTED_HTTP_VERSION',
  'Only HTTP/1.0 and HTTP/1.1 are served',
];
const MALFORMED: Answer = [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP/1.1'];

/**
 * llhttp's error codes (`HPE_*`, see llhttp's `api.h`) and Node's own, as answers. Every
 * code not listed is a `MALFORMED_REQUEST`.
 */
const ANSWERS: Readonly<Record<string, Answer>> = {
  HPE_INVALID_METHOD: [400, 'UNSUPPORTED_METHOD', 'The request method is not supported'],
  HPE_INVALID_URL: [400, 'MALFORMED_URL', 'The URL is malformed'],
  HPE_INVALID_HEADER_TOKEN: [400, 'INVALID_HEADER', 'A header holds bytes HTTP does not allow'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'INVALID_CONTENT_LENGTH', 'Content-Length is not a number'],
  HPE_UNEXPECTED_CONTENT_LENGTH: AMBIGUOUS,
  HPE_INVALID_TRANSFER_ENCODING: AMBIGUOUS,
  // The HTTP/2 preface (`PRI * HTTP/2.0`) of a client that assumed HTTP/2.
  HPE_PAUSED_H2_UPGRADE: BAD_VERSION,
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive'],
};
// The start of a request line: a method and a space.
const REQUEST_LINE = /^[A-Z]+ /;

interface ParserError extends Error {
  code?: string;
  reason?: string;
  rawPacket?: Buffer;
  bytesParsed?: number;
}

function answerFor(error: ParserError): Answer {
  const code = error.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW' && overflowedInUrl(error)) return URL_TOO_LONG;
  // llhttp reports both "HTTP/9.9" and a request line ended by a bare LF as HPE_INVALID_VERSION.
  if (code === 'HPE_INVALID_VERSION')
    return /^Invalid \w+ version$/.test(error.reason ?? '') ? BAD_VERSION : MALFORMED;
  return ANSWERS[code] ?? MALFORMED;
}

/**
 * Whether the head overflowed while the parser was still in the request line, i.e. the URL
 * is what is too long. Node counts the URL against `maxHeaderSize`; the packet it hands over
 * shows where parsing stopped. A URL sent in several packets overflows in a later one that
 * does not start with the method: that case stays a 431.
 */
function overflowedInUrl(error: ParserError): boolean {
  const packet = error.rawPacket;
  if (packet === undefined) return false;
  const parsed = packet.subarray(0, error.bytesParsed ?? packet.length);
  return REQUEST_LINE.test(parsed.subarray(0, 24).toString('latin1')) && !parsed.includes(10);
}

const ANSWERED = Symbol('libretto.clientErrorAnswered');
type AnsweredSocket = Socket & { [ANSWERED]?: true };

/**
 * The `clientErrorHandler` of an `HttpService` (Fastify passes it Node's `clientError`
 * event): a request Node's parser refused — bad bytes in a header, a bad version or
 * `Content-Length`, a smuggling framing, an unknown method, a head over `maxHeaderSize` — or
 * one that timed out is answered with the envelope, its own code, a new request id (the
 * request's own headers were not read) and `Connection: close`, then the socket is closed,
 * as HTTP requires after a framing error. A client mistake: logged at `debug`. When a
 * response to the request is already going out, nothing more can be said: the socket is
 * only closed.
 */
export function clientErrorHandler(log: Logger, nextRequestId: () => string): ClientErrorHandler {
  return (error: ParserError, socket: AnsweredSocket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // The parser stays failed: later packets of the same connection report it again.
    if (socket[ANSWERED] === true) return;
    socket[ANSWERED] = true;
    if (!socket.writable || requestInFlight(socket)) {
      socket.destroy();
      return;
    }
    const answer = answerFor(error);
    const requestId = nextRequestId();
    logRefused(log, requestId, answer[0], answer[1], { parserError: error.code });
    const details =
      error.code === undefined ? [] : [{ parserError: error.code, reason: error.reason ?? '' }];
    socket.end(rawAnswer(answer, requestId, details));
    socket.destroySoon();
  };
}
