import {
  DependencyFailureError,
  DependencyThrottledError,
  DependencyUnavailableError,
} from '../errors/application-errors.js';

/** What a provider's HTTP API answered. */
export interface ProviderAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body parsed as JSON, or its text when it is not JSON. */
  readonly body: unknown;
}

/** `fetch`, or a stand-in with its signature. */
export type FetchFunction = typeof fetch;

/**
 * Posts `body` as JSON and reads the answer. A network failure or no answer within
 * `timeout` milliseconds is `EMAIL_PROVIDER_UNAVAILABLE` naming `provider` and the host;
 * the request's headers (credentials) are never part of an error.
 */
export async function postJson(
  provider: string,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: { readonly timeout: number; readonly fetch: FetchFunction },
): Promise<ProviderAnswer> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeout),
    });
  } catch (error) {
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${options.timeout} ms`
        : describeNetworkError(error);
    throw new DependencyUnavailableError(`${provider} at ${url.host} cannot be reached: ${why}`, {
      code: 'EMAIL_PROVIDER_UNAVAILABLE',
      details: [{ provider, host: url.host }],
      cause: error,
    });
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): kept as text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * The error for an answer that is not a success: 429 throttled, 5xx unavailable (both worth
 * a retry), other statuses the provider refusing the email (`EMAIL_SEND_REJECTED`).
 */
export function answerError(
  provider: string,
  host: string,
  status: number,
  reason: string,
  what: string,
  details: Readonly<Record<string, unknown>>,
): Error {
  const all = [{ provider, host, status, ...details }];
  if (status === 429) {
    return new DependencyThrottledError(
      `${provider} at ${host} throttled ${what} (429): ${reason}`,
      { details: all },
    );
  }
  if (status >= 500) {
    return new DependencyUnavailableError(
      `${provider} at ${host} failed on ${what} (${status}): ${reason}`,
      { code: 'EMAIL_PROVIDER_UNAVAILABLE', details: all },
    );
  }
  return new DependencyFailureError(
    `${provider} at ${host} refused ${what} (${status}): ${reason}`,
    {
      code: 'EMAIL_SEND_REJECTED',
      details: all,
    },
  );
}

/** `the USER_CREATED email` or `an error report`. */
export function describeEmail(event: string | undefined): string {
  return event === undefined ? 'an error report' : `the ${event} email`;
}
