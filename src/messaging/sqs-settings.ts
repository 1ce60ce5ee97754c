import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { SqsSection } from './sqs-config.js';

/** The SQS settings in effect. Durations in seconds, as in the `sqs:` section. */
export interface SqsSettings {
  /** The AWS region (`us-east-1`); unset: the SDK's own chain (`AWS_REGION`, the profile). */
  readonly region: string | undefined;
  /** Another endpoint than AWS's (a local SQS-compatible server); unset: AWS. */
  readonly endpoint: string | undefined;
  /** Put before every queue name (`''`), as the `rabbitmq:` one; `QUEUE_NAME_PREFIX` fills it. */
  readonly queuePrefix: string;
  /**
   * Static credentials; unset: the standard AWS chain (environment, shared files, SSO, the
   * instance or task role). Never enumerable, never logged.
   */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  /** How long a received message stays hidden from other consumers; extended while its handler runs (30). */
  readonly visibilityTimeout: number;
  /** Long-polling wait of each receive (20, the most SQS allows). */
  readonly waitTime: number;
  /** Limit on one request to SQS (30). */
  readonly requestTimeout: number;
  /** Grace period of stopping: running handlers finish (10). */
  readonly stopTimeout: number;
  /** Default `prefetch` of consumers: handlers running at once (10). */
  readonly prefetch: number;
}

/** Defaults of the settings that have one. */
export const SQS_DEFAULTS = Object.freeze({
  queuePrefix: '',
  visibilityTimeout: 30,
  waitTime: 20,
  requestTimeout: 30,
  stopTimeout: 10,
  prefetch: 10,
});

/** Every setting's name (camelCase). */
export const SQS_SETTING_KEYS: ReadonlySet<string> = new Set([
  'region',
  'endpoint',
  'accessKeyId',
  'secretAccessKey',
  ...Object.keys(SQS_DEFAULTS),
]);

type Partial = { -readonly [K in keyof SqsSettings]?: SqsSettings[K] | undefined };

/** The `sqs:` section as settings (camelCase keys, only those given). */
export function sqsSettingsFromSection(section: SqsSection): Partial {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (value !== undefined) out[camel] = value;
  }
  return out as Partial;
}

/**
 * The settings in effect, key by key: `explicit` (constructor options) over `provided` (the
 * `sqs:` section), then `QUEUE_NAME_PREFIX` (rococo's variable), then the defaults. Both
 * credentials or neither; the keys are not enumerable.
 */
export function resolveSqsSettings(
  provided: Partial,
  explicit: Partial = {},
  env: Readonly<Record<string, string | undefined>> = {},
): SqsSettings {
  rejectUnknownKeys('SqsSettings', explicit, SQS_SETTING_KEYS);
  const merged: Record<string, unknown> = { ...provided };
  // Read key by key: resolved settings keep their credentials in non-enumerable properties.
  for (const key of SQS_SETTING_KEYS) {
    const value = (explicit as Record<string, unknown>)[key];
    if (value !== undefined) merged[key] = value;
  }
  if (merged.queuePrefix === undefined && env.QUEUE_NAME_PREFIX !== undefined) {
    merged.queuePrefix = env.QUEUE_NAME_PREFIX;
  }
  const out: Record<string, unknown> = {
    region: merged.region,
    endpoint: merged.endpoint,
  };
  for (const key of Object.keys(SQS_DEFAULTS) as (keyof typeof SQS_DEFAULTS)[]) {
    out[key] = merged[key] ?? SQS_DEFAULTS[key];
  }
  for (const key of ['requestTimeout', 'stopTimeout'] as const) {
    const v = out[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      invalidOption('SqsSettings', key, 'must be a positive number of seconds');
    }
  }
  const wait = out.waitTime;
  if (!Number.isInteger(wait) || (wait as number) < 0 || (wait as number) > 20) {
    invalidOption('SqsSettings', 'waitTime', 'must be a whole number of seconds from 0 to 20');
  }
  const visibility = out.visibilityTimeout;
  if (
    !Number.isInteger(visibility) ||
    (visibility as number) < 1 ||
    (visibility as number) > 43_200
  ) {
    invalidOption(
      'SqsSettings',
      'visibilityTimeout',
      'must be a whole number of seconds from 1 to 43200',
    );
  }
  const prefetch = out.prefetch;
  if (!Number.isInteger(prefetch) || (prefetch as number) < 1) {
    invalidOption('SqsSettings', 'prefetch', 'must be a whole number, 1 or more');
  }
  if ((merged.accessKeyId === undefined) !== (merged.secretAccessKey === undefined)) {
    invalidOption(
      'SqsSettings',
      'accessKeyId',
      'and secretAccessKey go together (or neither: the AWS credential chain)',
    );
  }
  // Not enumerable: spreading or logging the settings never shows them.
  for (const key of ['accessKeyId', 'secretAccessKey'] as const) {
    Object.defineProperty(out, key, { value: merged[key], enumerable: false });
  }
  return Object.freeze(out) as unknown as SqsSettings;
}

/** `SQS at http://127.0.0.1:4566` or `SQS in eu-west-1` — how errors and logs name it. */
export function describeSqs(s: Pick<SqsSettings, 'endpoint' | 'region'>): string {
  if (s.endpoint !== undefined) return `SQS at ${s.endpoint}`;
  return `SQS in ${s.region ?? 'the default region'}`;
}
