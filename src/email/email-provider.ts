import type { EmailProviderName } from './email-definition.js';

/** A provider template and the values it is filled with. */
export interface ProviderTemplate {
  /** Mailjet's numeric template id, or SES's template name. */
  readonly id: number | string;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** An email as the transmitter hands it to a provider: addressed, its subject rendered. */
export interface OutgoingEmail {
  /** `Name <address>` or `address`. */
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  /** The event it is sent for (for errors and logs); none for a failure report. */
  readonly event?: string | undefined;
  /** A body rendered here (SMTP, SES without a template): HTML, text or both. */
  readonly html?: string | undefined;
  readonly text?: string | undefined;
  /** A template kept by the provider (Mailjet, SES): it renders the body. */
  readonly template?: ProviderTemplate | undefined;
}

/**
 * Sends emails through one provider (SMTP, Mailjet, SES). `send` resolves with the
 * provider's message id once the provider accepted the email, and rejects with a typed
 * error naming the provider and why: `DependencyFailureError` (`EMAIL_SEND_REJECTED`) when
 * it refused the email, `DependencyUnavailableError` (`EMAIL_PROVIDER_UNAVAILABLE`) when it
 * could not be reached, `DependencyThrottledError` when it asked to slow down. Errors never
 * carry a credential.
 */
export interface EmailProvider {
  readonly name: EmailProviderName;
  send(email: OutgoingEmail): Promise<string | undefined>;
  /** Closes pooled connections. Idempotent. */
  close(): Promise<void>;
}

/** `Name <a@b.c>` → `{ name: 'Name', email: 'a@b.c' }`; `a@b.c` → `{ email: 'a@b.c' }`. */
export function splitAddress(address: string): { readonly email: string; readonly name?: string } {
  const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(address);
  if (match === null) return { email: address.trim() };
  const name = (match[1] as string).replace(/^"(.*)"$/, '$1');
  return name === '' ? { email: match[2] as string } : { email: match[2] as string, name };
}
