import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * The most of a refused body read and dropped after its 413, and for how long: beyond,
 * the connection is closed instead (a client may then see a reset rather than the answer).
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const MAX_DRAIN_MS = 10_000;

/**
 * Keeps the connection of a request whose body Fastify refused (413, 415, malformed JSON, a
 * NUL) open. Fastify closes it after any body error, and a socket closed with unread bytes
 * is reset: clients still writing then get EPIPE or ECONNRESET, not the answer. A body read
 * whole leaves nothing to drop; otherwise Node reads the rest and drops it once the answer
 * is sent — bounded: a declared length over 64 MiB keeps the close, and a body still
 * arriving after 10 s has its connection destroyed. The connection then serves the next
 * request.
 */
export function keepOpenAfterBodyError(request: IncomingMessage, reply: FastifyReply): void {
  if (request.complete) {
    reply.removeHeader('connection');
    return;
  }
  if (Number(request.headers['content-length']) > MAX_DRAIN_BYTES) return;
  reply.removeHeader('connection');
  const socket = request.socket;
  const timer = setTimeout(() => socket.destroy(), MAX_DRAIN_MS);
  timer.unref();
  const clear = () => clearTimeout(timer);
  request.once('end', clear);
  request.once('close', clear);
}
