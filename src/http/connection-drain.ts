import { type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Logger } from '../core/logger.js';

/**
 * How an HTTP server lets go of its clients when it stops. From `begin()` on, every response
 * — those of requests already in flight included — says `Connection: close`, so keep-alive
 * clients open a new connection (refused: the server no longer listens) instead of sending
 * on one the server is about to close. `closeAfter(ms)` bounds the wait for requests in
 * flight: past it their connections are destroyed, so a client that stalls mid-body cannot
 * hold up the stop.
 *
 * Node's `server.close()` alone closes idle connections once, then waits for the others
 * without bound (it even stops enforcing `requestTimeout`), and answers in-flight requests
 * with `Connection: keep-alive`.
 */
export class ConnectionDrain {
  #draining = false;

  /** The `ServerResponse` class to give `http.createServer`: it adds the header while draining. */
  readonly Response: typeof ServerResponse;

  constructor() {
    const drain = this;
    // Every response passes through writeHead (Node's implicit headers call it too), so one
    // boolean check per response covers requests that began before the stop.
    this.Response = class DrainingResponse<
      Request extends IncomingMessage = IncomingMessage,
    > extends ServerResponse<Request> {
      override writeHead(statusCode: number, message?: unknown, headers?: unknown): this {
        if (drain.#draining && !this.headersSent) this.setHeader('connection', 'close');
        return (super.writeHead as (code: number, message?: unknown, headers?: unknown) => this)(
          statusCode,
          message,
          headers,
        );
      }
    };
  }

  /** Whether stopping has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Stopping has begun: responses from now on close their connection. */
  begin(): void {
    this.#draining = true;
  }

  /**
   * Destroys every connection of `server` still open `ms` after now (and logs how many);
   * returns a function that cancels it once the server closed by itself.
   */
  closeAfter(server: Server, ms: number, log: Logger): () => void {
    const timer = setTimeout(() => {
      server.getConnections((_, count) => {
        log.warn(
          { connections: count, shutdownTimeout: ms / 1000 },
          'requests still in flight at the shutdown timeout: closing their connections',
        );
        server.closeAllConnections();
      });
    }, ms);
    return () => clearTimeout(timer);
  }
}
