import { type AwsCredentials, signAwsRequest } from './aws-signature.js';
import type { EmailProvider, OutgoingEmail } from './email-provider.js';
import { answerError, describeEmail, type FetchFunction, postJson } from './provider-http.js';

/** How an {@link SesProvider} reaches Amazon SES. */
export interface SesProviderOptions {
  /** The AWS region (`eu-west-1`). */
  readonly region: string;
  /** The keys, or a function that gives them (called per email: temporary keys can rotate). */
  readonly credentials: AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);
  /** The API's base URL (`https://email.<region>.amazonaws.com`). */
  readonly endpoint?: string | undefined;
  /** Milliseconds to wait for an answer (30 000). */
  readonly timeout?: number;
  /** The `fetch` used (the global one). */
  readonly fetch?: FetchFunction;
}

const CHARSET = 'UTF-8';

/**
 * Sends through Amazon SES API v2 `SendEmail` (`POST /v2/email/outbound-emails`, signed
 * with Signature Version 4 for the service `ses`): an event with `id.ses` as that SES
 * template with the message's data as `TemplateData`; otherwise as a simple email of the
 * rendered subject and body. SES's error type (`x-amzn-ErrorType`) and message become the
 * reason.
 */
export class SesProvider implements EmailProvider {
  readonly name = 'ses' as const;
  readonly #url: URL;
  readonly #options: SesProviderOptions;

  constructor(options: SesProviderOptions) {
    this.#url = new URL(
      '/v2/email/outbound-emails',
      options.endpoint ?? `https://email.${options.region}.amazonaws.com`,
    );
    this.#options = options;
  }

  async send(email: OutgoingEmail): Promise<string | undefined> {
    const content =
      email.template !== undefined
        ? {
            Template: {
              TemplateName: String(email.template.id),
              TemplateData: JSON.stringify(email.template.variables),
            },
          }
        : {
            Simple: {
              Subject: { Data: email.subject, Charset: CHARSET },
              Body: {
                ...(email.html === undefined
                  ? {}
                  : { Html: { Data: email.html, Charset: CHARSET } }),
                ...(email.text === undefined
                  ? {}
                  : { Text: { Data: email.text, Charset: CHARSET } }),
              },
            },
          };
    const body = JSON.stringify({
      FromEmailAddress: email.from,
      Destination: { ToAddresses: [...email.to] },
      Content: content,
    });
    const { credentials, region, timeout = 30_000, fetch: fetchImpl = fetch } = this.#options;
    const headers = signAwsRequest({
      method: 'POST',
      url: this.#url,
      headers: { 'content-type': 'application/json' },
      body,
      region,
      service: 'ses',
      credentials: typeof credentials === 'function' ? await credentials() : credentials,
    });
    const answer = await postJson('Amazon SES', this.#url, headers, body, {
      timeout,
      fetch: fetchImpl,
    });
    if (answer.status >= 200 && answer.status < 300) {
      return (answer.body as { MessageId?: string } | undefined)?.MessageId;
    }
    // `MessageRejected:http://internal.amazon.com/…` → `MessageRejected`.
    const type =
      answer.headers.get('x-amzn-errortype')?.split(':')[0] ??
      (answer.body as { __type?: string } | undefined)?.__type?.split('#').pop();
    const b = answer.body as { message?: string; Message?: string } | string | undefined;
    const message = typeof b === 'string' ? b.slice(0, 200) : (b?.message ?? b?.Message);
    const reason = [type, message].filter((p) => p !== undefined && p !== '').join(': ');
    throw answerError(
      'Amazon SES',
      this.#url.host,
      answer.status,
      reason || 'no reason given',
      describeEmail(email.event),
      { errorType: type },
    );
  }

  async close(): Promise<void> {}
}
