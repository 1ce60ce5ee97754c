// A local HTTP server standing in for a provider's API in contract tests: it records each
// request as it arrived (method, path, headers, body) and answers with the next queued
// answer — the providers' documented success and error answers.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export class ApiStub {
  readonly requests: RecordedRequest[] = [];
  /** Answers to give, in order; a 500 when none is left. */
  readonly answers: StubAnswer[] = [];
  private constructor(readonly server: Server) {}

  static async start(): Promise<ApiStub> {
    let stub: ApiStub | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        stub?.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = stub?.answers.shift() ?? {
          status: 500,
          body: { message: 'no answer queued' },
        };
        const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stub = new ApiStub(server);
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Queues the answer to the next request. */
  answer(status: number, body?: unknown, headers?: Readonly<Record<string, string>>): void {
    this.answers.push({ status, body, ...(headers === undefined ? {} : { headers }) });
  }

  /** The last request's body, parsed. */
  lastJson(): unknown {
    return JSON.parse(this.requests.at(-1)?.body ?? 'null');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
