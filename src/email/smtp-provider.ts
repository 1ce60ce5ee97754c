import type { Transporter } from 'nodemailer';
import {
  DependencyFailureError,
  DependencyUnavailableError,
} from '../errors/application-errors.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { maskSecrets } from '../internal/redaction.js';
import type { EmailProvider, OutgoingEmail } from './email-provider.js';

/** Where an {@link SmtpProvider} sends. */
export interface SmtpProviderOptions {
  readonly host: string;
  /** 587 (465 with `secure`). */
  readonly port?: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure?: boolean;
  readonly user?: string | undefined;
  /** Never logged, never in an error. */
  readonly password?: string | undefined;
  /** Connections kept open to the server at most (5): emails sent at once. */
  readonly maxConnections?: number;
  /** Milliseconds to connect, and of silence on a connection, before it fails (30 000). */
  readonly timeout?: number;
}

// SMTP replies 4xx are "try again later"; 5xx are refusals.
function isRefusal(error: { responseCode?: number }): boolean {
  return typeof error.responseCode === 'number' && error.responseCode >= 500;
}

/**
 * Sends over SMTP with nodemailer (an optional peer: `npm install nodemailer`, loaded on the
 * first email), through a pool of connections. A 5xx answer is `EMAIL_SEND_REJECTED`; a
 * refused, dropped or silent connection, or a 4xx answer, is `EMAIL_PROVIDER_UNAVAILABLE`.
 */
export class SmtpProvider implements EmailProvider {
  readonly name = 'smtp' as const;
  readonly #options: SmtpProviderOptions;
  #transport: Promise<Transporter> | undefined;

  constructor(options: SmtpProviderOptions) {
    this.#options = { ...options };
    Object.defineProperty(this.#options, 'password', { enumerable: false });
  }

  /** `host:port`, for errors and logs. */
  get server(): string {
    return `${this.#options.host}:${this.#port()}`;
  }

  #port(): number {
    return this.#options.port ?? (this.#options.secure === true ? 465 : 587);
  }

  #open(): Promise<Transporter> {
    this.#transport ??= importOptionalPeer(
      'nodemailer',
      'The SMTP email provider',
      () => import('nodemailer'),
    ).then((nodemailer) => {
      const o = this.#options;
      const timeout = o.timeout ?? 30_000;
      return nodemailer.createTransport({
        host: o.host,
        port: this.#port(),
        secure: o.secure === true,
        pool: true,
        maxConnections: o.maxConnections ?? 5,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        ...(o.user === undefined ? {} : { auth: { user: o.user, pass: o.password ?? '' } }),
      });
    });
    return this.#transport;
  }

  async send(email: OutgoingEmail): Promise<string | undefined> {
    const transport = await this.#open();
    try {
      const info = await transport.sendMail({
        from: email.from,
        to: [...email.to],
        subject: email.subject,
        ...(email.html === undefined ? {} : { html: email.html }),
        ...(email.text === undefined ? {} : { text: email.text }),
      });
      return info.messageId;
    } catch (error) {
      throw this.#failure(error, email);
    }
  }

  #failure(error: unknown, email: OutgoingEmail): Error {
    const e = error as { message?: string; responseCode?: number; code?: string };
    const what = email.event === undefined ? 'an email' : `the ${email.event} email`;
    const why = maskSecrets(String(e.message ?? error).split('\n')[0] as string);
    const details = [
      { provider: 'smtp', server: this.server, code: e.code, responseCode: e.responseCode },
    ];
    if (isRefusal(e)) {
      return new DependencyFailureError(`SMTP server ${this.server} refused ${what}: ${why}`, {
        code: 'EMAIL_SEND_REJECTED',
        details,
        cause: error,
      });
    }
    return new DependencyUnavailableError(
      `SMTP server ${this.server} did not take ${what}: ${why}`,
      {
        code: 'EMAIL_PROVIDER_UNAVAILABLE',
        details,
        cause: error,
      },
    );
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    if (transport !== undefined) (await transport.catch(() => undefined))?.close();
  }
}
