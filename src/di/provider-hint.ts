import type { InjectionToken } from './token.js';

// A WeakMap, not a field on the token: class tokens (`Database`) are the user's classes.
const hints = new WeakMap<InjectionToken<unknown>, string>();

/**
 * Says where a token's provider usually comes from, so that a missing provider names what
 * to register: the message then ends `(provided by PostgresService from libretto/postgres)`.
 * A library calls it once for the tokens its services provide.
 *
 * @example
 * export class Database { static { setProviderHint(this, 'PostgresService from libretto/postgres'); } }
 */
export function setProviderHint(token: InjectionToken<unknown>, providedBy: string): void {
  hints.set(token, providedBy);
}

/** The hint set by {@link setProviderHint}, if any. */
export function providerHint(token: InjectionToken<unknown>): string | undefined {
  return hints.get(token);
}

/** ` (provided by …)` for a message, or nothing. */
export function providerHintSuffix(token: InjectionToken<unknown>): string {
  const hint = hints.get(token);
  return hint === undefined ? '' : ` (provided by ${hint})`;
}
