import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * The most of a refused body read and dropped after its 413, and for how long: beyond,
 * the connection is closed instead (a client may then see a reset rather than the answer).
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const MAX_DRAIN_MS = 10_000;

/**
 * Lets a client still sending a body the server refused (a 413) read the answer. Fastify
 * closes the connection after a body error, and a socket closed with unread bytes is reset:
 * clients still writing then get EPIPE or ECONNRESET, not the 413. Kept open instead, Node
 * reads the rest of the body and drops it once the answer is sent, and the connection can
 * serve the next request — bounded: a declared length over 64 MiB keeps the close, and a
 * body still arriving after 10 s has its connection destroyed.
 */
export function drainRefusedBody(request: IncomingMessage, reply: FastifyReply): void {
  if (request.complete) return;
  if (Number(request.headers['content-length']) > MAX_DRAIN_BYTES) return;
  reply.removeHeader('connection');
  const socket = request.socket;
  const timer = setTimeout(() => socket.destroy(), MAX_DRAIN_MS);
  timer.unref();
  const clear = () => clearTimeout(timer);
  request.once('end', clear);
  request.once('close', clear);
}
