import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../core/logger.js';
import { errorEnvelope } from './envelope.js';
import { type Answer, logRefused, rawAnswer } from './raw-answer.js';

/**
 * The longest URL (path and query) answered; longer is a 414. RFC 9112 asks servers to take
 * request lines of at least 8000 octets, and 8 KiB is what common proxies (nginx's default
 * buffers) let through: a URL a proxy in front would refuse is refused here with the same
 * 414. Below Node's 16 KiB `maxHeaderSize`, so most over-long URLs are still parsed and
 * answered from a whole request; longer ones overflow the parser, which answers 414 too.
 */
export const MAX_URL_LENGTH = 8192;

const CURRENT = Symbol('libretto.currentResponse');
type TrackedSocket = Socket & { [CURRENT]?: ServerResponse };

/**
 * Whether a response to a request of this connection is under way while its body is still
 * arriving: a parser error then (a bad chunk, a timeout) cannot be answered any more.
 */
export function requestInFlight(socket: Socket): boolean {
  const response = (socket as TrackedSocket)[CURRENT];
  return response?.headersSent === true && !response.req.complete;
}

/** Fastify's request listener, as its `serverFactory` receives it. */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** What the edge server needs from its service. */
export interface EdgeServerOptions {
  readonly log: Logger;
  readonly nextRequestId: () => string;
}

const MISSING_HOST: Answer = [400, 'MISSING_HOST', 'An HTTP/1.1 request needs a Host header'];
/** The answer to a URL over {@link MAX_URL_LENGTH}. */
export const URL_TOO_LONG: Answer = [
  414,
  'URI_TOO_LONG',
  `The URL is longer than ${MAX_URL_LENGTH} bytes`,
];
const EXPECTATION: Answer = [417, 'EXPECTATION_FAILED', 'Only Expect: 100-continue is supported'];
const CONNECT: Answer = [400, 'UNSUPPORTED_METHOD', 'CONNECT is not supported: not a proxy'];

/**
 * Fastify's `serverFactory` for an `HttpService`: Node's HTTP server, set up as Fastify sets
 * up its own (timeouts and `http` options from Fastify's), and in front of Fastify's
 * listener the answers Node would otherwise give in its own format: an HTTP/1.1 request
 * without `Host` (Node's `requireHostHeader`, turned off to answer it here), an `Expect`
 * other than `100-continue`, `CONNECT`; and a URL over {@link MAX_URL_LENGTH}. Each is an
 * envelope with a request id, logged at `debug`. Costs a length check per request.
 */
export function edgeServerFactory(options: EdgeServerOptions) {
  const { log, nextRequestId } = options;
  const refuse = (response: ServerResponse, answer: Answer, close: boolean): void => {
    const requestId = nextRequestId();
    logRefused(log, requestId, answer[0], answer[1]);
    const body = JSON.stringify(errorEnvelope(answer[1], answer[2], []));
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
    };
    if (close) headers.connection = 'close';
    response.writeHead(answer[0], headers).end(body);
  };

  return (handler: RequestListener, fastifyOptions: Record<string, unknown>): Server => {
    const server = createServer(
      { ...(fastifyOptions.http as object | undefined), requireHostHeader: false },
      (request, response) => {
        (request.socket as TrackedSocket)[CURRENT] = response;
        if (request.url !== undefined && request.url.length > MAX_URL_LENGTH) {
          refuse(response, URL_TOO_LONG, false);
        } else if (
          request.headers.host === undefined &&
          request.httpVersionMajor === 1 &&
          request.httpVersionMinor === 1
        ) {
          // RFC 9112 §3.2: a 400; the connection is closed as Node would.
          refuse(response, MISSING_HOST, true);
        } else {
          handler(request, response);
        }
      },
    );
    // As Fastify sets up the server it creates itself (it skips this for a factory's).
    server.keepAliveTimeout = fastifyOptions.keepAliveTimeout as number;
    server.requestTimeout = fastifyOptions.requestTimeout as number;
    server.setTimeout(fastifyOptions.connectionTimeout as number);
    const perSocket = fastifyOptions.maxRequestsPerSocket as number;
    if (perSocket > 0) server.maxRequestsPerSocket = perSocket;
    server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
      refuse(response, EXPECTATION, true);
    });
    server.on('connect', (_request: IncomingMessage, socket: Socket) => {
      const requestId = nextRequestId();
      logRefused(log, requestId, CONNECT[0], CONNECT[1]);
      socket.end(rawAnswer(CONNECT, requestId));
      socket.destroySoon();
    });
    return server;
  };
}
