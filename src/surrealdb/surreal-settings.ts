import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { maskSecrets } from '../internal/redaction.js';
import type { SurrealSection } from './surreal-config.js';

/** Where and as whom a `SurrealDatabase` connects. */
export interface SurrealSettings {
  /** `mem://` (default: embedded, in memory), `surrealkv://path`, `ws://host:8000/rpc`, `http(s)://…`. */
  readonly endpoint: string;
  /** The namespace (`libretto`). */
  readonly namespace: string;
  /** The database (`libretto`). */
  readonly database: string;
  /** The system user signed in as (none: no sign-in, as the embedded engine needs none). */
  readonly user: string | undefined;
  /** Its password; never enumerable, never logged. */
  readonly password: string | undefined;
}

/** Settings as given: every key optional, `url`/`username` as other names. */
export interface SurrealSettingsInput {
  readonly endpoint?: string | undefined;
  readonly url?: string | undefined;
  readonly namespace?: string | undefined;
  readonly database?: string | undefined;
  readonly user?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/** Defaults of the settings that have one. */
export const SURREAL_DEFAULTS = Object.freeze({
  endpoint: 'mem://',
  namespace: 'libretto',
  database: 'libretto',
});

/** Every key {@link resolveSurrealSettings} takes. */
export const SURREAL_SETTING_KEYS: ReadonlySet<string> = new Set([
  'endpoint',
  'url',
  'namespace',
  'database',
  'user',
  'username',
  'password',
]);

const ENGINES = ['mem:', 'surrealkv:', 'rocksdb:', 'ws:', 'wss:', 'http:', 'https:'];

/** The endpoint as it may be shown: a password inside it masked. */
export function shownEndpoint(endpoint: string): string {
  return maskSecrets(endpoint);
}

function layer(where: string, input: SurrealSettingsInput): SurrealSettingsInput {
  rejectUnknownKeys(where, input, SURREAL_SETTING_KEYS);
  if (input.endpoint !== undefined && input.url !== undefined && input.endpoint !== input.url) {
    invalidOption(where, 'url', 'is another name of endpoint: give one of them');
  }
  if (input.user !== undefined && input.username !== undefined && input.user !== input.username) {
    invalidOption(where, 'username', 'is another name of user: give one of them');
  }
  return {
    endpoint: input.endpoint ?? input.url,
    namespace: input.namespace,
    database: input.database,
    user: input.user ?? input.username,
    password: input.password,
  };
}

/** The `surrealdb:` section as settings. */
export function settingsFromSection(section: SurrealSection): SurrealSettingsInput {
  return section;
}

/**
 * The settings in effect, key by key: `explicit` (constructor options) over `provided` (the
 * `surrealdb:` section), then the defaults. The password is not enumerable: spreading or
 * logging the settings never shows it.
 */
export function resolveSurrealSettings(
  provided: SurrealSettingsInput = {},
  explicit: SurrealSettingsInput = {},
): SurrealSettings {
  const low = layer('surrealdb', provided);
  const high = layer('SurrealDatabase', explicit);
  const endpoint = high.endpoint ?? low.endpoint ?? SURREAL_DEFAULTS.endpoint;
  let scheme: string;
  try {
    scheme = new URL(endpoint).protocol;
  } catch {
    scheme = '';
  }
  if (!ENGINES.includes(scheme)) {
    invalidOption(
      'SurrealDatabase',
      'endpoint',
      `"${shownEndpoint(endpoint)}" must start with mem://, surrealkv://, ws(s):// or http(s)://`,
    );
  }
  const out = {
    endpoint,
    namespace: high.namespace ?? low.namespace ?? SURREAL_DEFAULTS.namespace,
    database: high.database ?? low.database ?? SURREAL_DEFAULTS.database,
    user: high.user ?? low.user,
  };
  Object.defineProperty(out, 'password', {
    value: high.password ?? low.password,
    enumerable: false,
  });
  return Object.freeze(out) as SurrealSettings;
}

/** Whether the endpoint runs SurrealDB inside this process (`@surrealdb/node`). */
export function isEmbedded(endpoint: string): boolean {
  return /^(mem|surrealkv|rocksdb)(\+[a-z]+)?:/.test(endpoint);
}
