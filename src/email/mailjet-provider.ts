import type { EmailProvider, OutgoingEmail } from './email-provider.js';
import { splitAddress } from './email-provider.js';
import { answerError, describeEmail, type FetchFunction, postJson } from './provider-http.js';

/** How a {@link MailjetProvider} reaches Mailjet. */
export interface MailjetProviderOptions {
  /** `MAILJET_API_KEY`. */
  readonly apiKey: string;
  /** `MAILJET_API_SECRET`; never logged, never in an error. */
  readonly apiSecret: string;
  /** The API's base URL (`https://api.mailjet.com`). */
  readonly endpoint?: string | undefined;
  /** Milliseconds to wait for an answer (30 000). */
  readonly timeout?: number;
  /** The `fetch` used (the global one). */
  readonly fetch?: FetchFunction;
}

interface MailjetError {
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
  readonly ErrorRelatedTo?: readonly string[];
  readonly StatusCode?: number;
}

interface MailjetResult {
  readonly Status?: string;
  readonly Errors?: readonly MailjetError[];
  readonly To?: readonly { readonly MessageID?: number | string }[];
}

/**
 * Sends through Mailjet's Send API v3.1 (`POST /v3.1/send`, basic auth with the API key and
 * secret): an event's email as the template `id.mailjet` with `TemplateLanguage` on and the
 * message's data as `Variables`; a failure report as a text part. Mailjet's answer decides
 * the error: its `Errors` (code, message, field) become the reason.
 */
export class MailjetProvider implements EmailProvider {
  readonly name = 'mailjet' as const;
  readonly #url: URL;
  readonly #authorization: string;
  readonly #timeout: number;
  readonly #fetch: FetchFunction;

  constructor(options: MailjetProviderOptions) {
    this.#url = new URL('/v3.1/send', options.endpoint ?? 'https://api.mailjet.com');
    this.#authorization = `Basic ${Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64')}`;
    this.#timeout = options.timeout ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  async send(email: OutgoingEmail): Promise<string | undefined> {
    const from = splitAddress(email.from);
    const message: Record<string, unknown> = {
      From: { Email: from.email, ...(from.name === undefined ? {} : { Name: from.name }) },
      To: email.to.map((to) => {
        const a = splitAddress(to);
        return { Email: a.email, ...(a.name === undefined ? {} : { Name: a.name }) };
      }),
      Subject: email.subject,
    };
    if (email.template !== undefined) {
      message.TemplateID = email.template.id;
      message.TemplateLanguage = true;
      message.Variables = email.template.variables;
    } else {
      if (email.text !== undefined) message.TextPart = email.text;
      if (email.html !== undefined) message.HTMLPart = email.html;
    }
    const answer = await postJson(
      'Mailjet',
      this.#url,
      { authorization: this.#authorization, 'content-type': 'application/json' },
      JSON.stringify({ Messages: [message] }),
      { timeout: this.#timeout, fetch: this.#fetch },
    );
    const body = answer.body as { Messages?: readonly MailjetResult[] } & MailjetError;
    const result = body?.Messages?.[0];
    if (answer.status === 200 && result?.Status === 'success') {
      const id = result.To?.[0]?.MessageID;
      return id === undefined ? undefined : String(id);
    }
    const errors = result?.Errors ?? (body?.ErrorMessage === undefined ? [] : [body]);
    const reason =
      errors
        .map((e) =>
          [
            e.ErrorCode,
            e.ErrorMessage,
            e.ErrorRelatedTo?.length ? `(${e.ErrorRelatedTo.join(', ')})` : '',
          ]
            .filter((p) => p !== undefined && p !== '')
            .join(' '),
        )
        .join('; ') ||
      (typeof answer.body === 'string' ? answer.body.slice(0, 200) : 'no reason given');
    throw answerError(
      'Mailjet',
      this.#url.host,
      answer.status,
      reason,
      describeEmail(email.event),
      {
        errorCodes: errors.map((e) => e.ErrorCode).filter((c) => c !== undefined),
      },
    );
  }

  async close(): Promise<void> {}
}
