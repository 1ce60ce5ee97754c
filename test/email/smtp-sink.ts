// An SMTP server in the test process (smtp-server from npm): keeps what it receives, or
// refuses it with a 5xx answer. No TLS, no authentication needed.
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One email as the server received it. */
export interface ReceivedEmail {
  readonly from: string;
  readonly to: readonly string[];
  /** The header lines, by lower-case name (unfolded). */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole message as sent (headers and MIME parts, transfer encodings undone). */
  readonly raw: string;
}

/** Undoes quoted-printable soft line breaks and `=XX` escapes (nodemailer's encoding). */
function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export class SmtpSink {
  readonly received: ReceivedEmail[] = [];
  /** Recipients answered `550` at RCPT TO. */
  readonly refuse = new Set<string>();
  /** Recipients whose RCPT TO makes the server drop the connection. */
  readonly drop = new Set<string>();
  private constructor(
    readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    // By client port: the socket to destroy when a recipient says "drop".
    const sockets = new Map<number, Socket>();
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, session, callback) {
        if (sink?.drop.has(address.address)) {
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        if (sink?.refuse.has(address.address)) {
          const error = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
          callback(error);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head = ''] = raw.split(/\r?\n\r?\n/);
          const headers: Record<string, string> = {};
          for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
            const at = line.indexOf(':');
            if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
          }
          sink?.received.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            headers,
            raw: decodeQuotedPrintable(raw),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.server.on('connection', (socket: Socket) => {
      const port = socket.remotePort as number;
      sockets.set(port, socket);
      socket.once('close', () => sockets.delete(port));
    });
    const port = (server.server.address() as AddressInfo).port;
    sink = new SmtpSink(server, port);
    return sink;
  }

  /** The emails received by `address`. */
  to(address: string): ReceivedEmail[] {
    return this.received.filter((e) => e.to.includes(address));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
