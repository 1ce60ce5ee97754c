import { connect, createServer, type Server, type Socket } from 'node:net';

/** What a proxy does with traffic: forward it, reset every connection, or hold it. */
export type ProxyMode = 'pass' | 'cut' | 'stall';

interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  piped: boolean;
}

/**
 * A TCP proxy in front of a server, for fault injection: `pass` forwards; `cut` resets every
 * connection (existing and new) like a dead host or a firewall RST; `stall` accepts and
 * holds connections without delivering a byte either way, like a frozen host or a silent
 * partition, and delivers what was held once set back to `pass`.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #links = new Set<Link>();
  #mode: ProxyMode = 'pass';
  #port = 0;

  private constructor(
    private targetHost: string,
    private targetPort: number,
  ) {
    this.#server = createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
  }

  /** Starts a proxy on a free port of 127.0.0.1 forwarding to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(host, port);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.#server.address();
    proxy.#port = typeof address === 'object' && address !== null ? address.port : 0;
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    return this.#port;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.#links.size;
  }

  /** Changes what the proxy does, for existing connections too. */
  set(mode: ProxyMode): void {
    this.#mode = mode;
    for (const link of [...this.#links]) this.#apply(link);
  }

  /** Forwards new connections to another server (existing ones keep theirs). */
  retarget(host: string, port: number): void {
    this.targetHost = host;
    this.targetPort = port;
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    for (const link of [...this.#links]) this.#reset(link);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const link: Link = { client, upstream: undefined, piped: false };
    this.#links.add(link);
    client.on('error', () => this.#reset(link));
    client.on('close', () => this.#end(link));
    this.#apply(link);
  }

  #apply(link: Link): void {
    if (this.#mode === 'cut') {
      this.#reset(link);
      return;
    }
    if (this.#mode === 'stall') {
      // Unpiped as well as paused: a pipe resumes its source when the other side drains.
      if (link.piped && link.upstream !== undefined) {
        link.client.unpipe(link.upstream);
        link.upstream.unpipe(link.client);
        link.piped = false;
      }
      link.client.pause();
      link.upstream?.pause();
      return;
    }
    if (link.upstream === undefined) {
      const upstream = connect(this.targetPort, this.targetHost);
      link.upstream = upstream;
      upstream.on('error', () => this.#reset(link));
      upstream.on('close', () => this.#end(link));
    }
    if (!link.piped) {
      link.client.pipe(link.upstream);
      link.upstream.pipe(link.client);
      link.piped = true;
    }
    link.client.resume();
    link.upstream.resume();
  }

  #reset(link: Link): void {
    this.#links.delete(link);
    link.client.resetAndDestroy();
    link.upstream?.resetAndDestroy();
  }

  #end(link: Link): void {
    if (!this.#links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }
}
