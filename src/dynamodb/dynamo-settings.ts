import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { DynamoSection } from './dynamo-config.js';

/** The DynamoDB settings in effect. */
export interface DynamoSettings {
  /** The AWS region; unset: the SDK's chain (`AWS_REGION`, the profile). */
  readonly region: string | undefined;
  /** Another endpoint than AWS's (dynalite, DynamoDB Local); unset: the SDK's (`AWS_ENDPOINT_URL_DYNAMODB`, AWS). */
  readonly endpoint: string | undefined;
  /** Static credentials; unset: the standard AWS chain. Never enumerable, never logged. */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly sessionToken: string | undefined;
  /** Put before every table name (`''`). */
  readonly tablePrefix: string;
  /** Strongly consistent reads of tables (true): a read after a write sees it. */
  readonly consistentRead: boolean;
  /** Limit on one request, in seconds (10). */
  readonly requestTimeout: number;
  /** Attempts of a request the SDK may retry (throttling, 5xx), the first included (3). */
  readonly maxAttempts: number;
}

/** Defaults of the settings that have one. */
export const DYNAMODB_DEFAULTS = Object.freeze({
  tablePrefix: '',
  consistentRead: true,
  requestTimeout: 10,
  maxAttempts: 3,
});

const SECRETS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

/** Every setting's name (camelCase). */
export const DYNAMODB_SETTING_KEYS: ReadonlySet<string> = new Set([
  'region',
  'endpoint',
  ...SECRETS,
  ...Object.keys(DYNAMODB_DEFAULTS),
]);

type Partial = { -readonly [K in keyof DynamoSettings]?: DynamoSettings[K] | undefined };

/** The `dynamodb:` section as settings (camelCase keys, only those given). */
export function dynamoSettingsFromSection(section: DynamoSection): Partial {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (value !== undefined) out[camel] = value;
  }
  return out as Partial;
}

/**
 * The settings in effect, key by key: `explicit` (constructor options) over `provided` (the
 * `dynamodb:` section), then the region of `AWS_REGION` / `AWS_DEFAULT_REGION` (so errors name
 * it), then the defaults. Both keys or neither; the credentials are not enumerable.
 */
export function resolveDynamoSettings(
  provided: Partial,
  explicit: Partial = {},
  env: Readonly<Record<string, string | undefined>> = {},
): DynamoSettings {
  rejectUnknownKeys('DynamoSettings', explicit, DYNAMODB_SETTING_KEYS);
  const merged: Record<string, unknown> = { ...provided };
  // Key by key: settings resolved before keep their credentials in non-enumerable properties.
  for (const key of DYNAMODB_SETTING_KEYS) {
    const value = (explicit as Record<string, unknown>)[key];
    if (value !== undefined) merged[key] = value;
  }
  const out: Record<string, unknown> = {
    region: merged.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
    endpoint: merged.endpoint,
  };
  for (const key of Object.keys(DYNAMODB_DEFAULTS) as (keyof typeof DYNAMODB_DEFAULTS)[]) {
    out[key] = merged[key] ?? DYNAMODB_DEFAULTS[key];
  }
  if (out.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(String(out.endpoint))) {
    invalidOption('DynamoSettings', 'endpoint', 'must be an http:// or https:// URL');
  }
  if (typeof out.tablePrefix !== 'string' || !/^[A-Za-z0-9_.-]*$/.test(out.tablePrefix)) {
    invalidOption('DynamoSettings', 'tablePrefix', 'must be letters, digits, _ . - only');
  }
  if (typeof out.consistentRead !== 'boolean') {
    invalidOption('DynamoSettings', 'consistentRead', 'must be true or false');
  }
  const timeout = out.requestTimeout;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    invalidOption('DynamoSettings', 'requestTimeout', 'must be a positive number of seconds');
  }
  const attempts = out.maxAttempts;
  if (!Number.isInteger(attempts) || (attempts as number) < 1) {
    invalidOption('DynamoSettings', 'maxAttempts', 'must be a whole number, 1 or more');
  }
  if ((merged.accessKeyId === undefined) !== (merged.secretAccessKey === undefined)) {
    invalidOption(
      'DynamoSettings',
      'accessKeyId',
      'and secretAccessKey go together (or neither: the AWS credential chain)',
    );
  }
  // Not enumerable: spreading, logging or JSON of the settings never shows them.
  for (const key of SECRETS) {
    Object.defineProperty(out, key, { value: merged[key], enumerable: false });
  }
  return Object.freeze(out) as unknown as DynamoSettings;
}

/** `DynamoDB at http://127.0.0.1:8000` or `DynamoDB in eu-west-1` — how errors and logs name it. */
export function describeDynamo(s: Pick<DynamoSettings, 'endpoint' | 'region'>): string {
  if (s.endpoint !== undefined) return `DynamoDB at ${s.endpoint}`;
  return `DynamoDB in ${s.region ?? 'the default region'}`;
}
