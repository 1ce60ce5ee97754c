import { ConfigError, DsnError } from '../config/config-errors.js';
import type { RabbitMqSection } from './rabbitmq-config.js';

/** The RabbitMQ settings in effect. Durations in seconds, as in the `rabbitmq:` section. */
export interface RabbitMqSettings {
  /** `amqp://user:password@host:port/vhost` (or `amqps://`); the explicit keys win over its parts. */
  readonly url: string | undefined;
  /** The broker's host (`localhost`). */
  readonly host: string;
  /** Its port (5672, or 5671 with TLS). */
  readonly port: number;
  /** Who to log in as (`guest`). */
  readonly user: string;
  /** Its password (`guest`); never enumerable, never logged. */
  readonly password: string;
  /** The virtual host (`/`). */
  readonly vhost: string;
  /** Connect with TLS (`amqps`): false unless the URL says `amqps://`. */
  readonly tls: boolean;
  /** Put before every queue name (`''`): `staging.` makes `orders` `staging.orders`. */
  readonly queuePrefix: string;
  /** Heartbeat interval asked of the broker; a silent connection is dropped after two (10; 0 = off). */
  readonly heartbeat: number;
  /** Limit on opening a connection, and on the first one at start (10). */
  readonly connectTimeout: number;
  /** Limit on a send waiting for the broker's confirm, reconnects included (30). */
  readonly sendTimeout: number;
  /** Grace period of stopping: running handlers finish, pending sends settle (10). */
  readonly stopTimeout: number;
  /** First wait before reconnecting, doubled per failed attempt up to `reconnectMaxDelay` (0.5, 15). */
  readonly reconnectDelay: number;
  readonly reconnectMaxDelay: number;
  /** Publishing channels kept open at most (4). */
  readonly channelPoolSize: number;
  /** Default `prefetch` of consumers (10). */
  readonly prefetch: number;
  /**
   * Arguments a queue is declared with, by queue name as the application says it (without
   * the prefix): `{ orders: { 'x-queue-type': 'quorum' } }`. Senders and consumers of the
   * queue declare it alike, so they must share these. None by default.
   */
  readonly queueArguments: Readonly<Record<string, Readonly<Record<string, QueueArgument>>>>;
}

/** A value of a queue argument (`x-queue-type`, `x-max-length`, …). */
export type QueueArgument = string | number | boolean;

/** The environment variables rococo reads, and the setting each one fills. */
export const SEED_VARIABLES = {
  RABBITMQ_HOST: 'host',
  RABBITMQ_PORT: 'port',
  RABBITMQ_USER: 'user',
  RABBITMQ_PASSWORD: 'password',
  RABBITMQ_VIRTUAL_HOST: 'vhost',
  QUEUE_NAME_PREFIX: 'queuePrefix',
} as const;

/** Defaults of the settings that have one. */
export const RABBITMQ_DEFAULTS = Object.freeze({
  host: 'localhost',
  user: 'guest',
  password: 'guest',
  vhost: '/',
  tls: false,
  queuePrefix: '',
  heartbeat: 10,
  connectTimeout: 10,
  sendTimeout: 30,
  stopTimeout: 10,
  reconnectDelay: 0.5,
  reconnectMaxDelay: 15,
  channelPoolSize: 4,
  prefetch: 10,
  queueArguments: Object.freeze({}) as Readonly<
    Record<string, Readonly<Record<string, QueueArgument>>>
  >,
});

/** Every setting's name (camelCase). */
export const RABBITMQ_SETTING_KEYS: ReadonlySet<string> = new Set([
  'url',
  'port',
  ...Object.keys(RABBITMQ_DEFAULTS),
]);

type Partial = { -readonly [K in keyof RabbitMqSettings]?: RabbitMqSettings[K] | undefined };

/** `queue_prefix` → `queuePrefix`. */
function camelKey(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The `rabbitmq:` section as settings (camelCase keys, only those given). */
export function settingsFromSection(section: RabbitMqSection): Partial {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (value !== undefined) out[camelKey(key)] = value;
  }
  return out as Partial;
}

/** What the seed's variables (`RABBITMQ_HOST`, …) say; a bad `RABBITMQ_PORT` is a `ConfigError`. */
export function settingsFromSeedEnv(env: Readonly<Record<string, string | undefined>>): Partial {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(SEED_VARIABLES)) {
    const value = env[name];
    if (value === undefined || (value === '' && key !== 'queuePrefix')) continue;
    if (key === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new ConfigError([
          { path: 'rabbitmq.port', source: name, message: `"${value}" is not a port number` },
        ]);
      }
      out.port = port;
    } else out[key] = value;
  }
  return out as Partial;
}

/** The parts of an AMQP URL. A URL that is not `amqp://` or `amqps://` is a `DsnError`. */
export function parseAmqpUrl(url: string): Partial {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DsnError(url, 'not a URL (amqp://user:password@host:port/vhost)');
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new DsnError(url, `scheme ${parsed.protocol}// is not amqp:// or amqps://`);
  }
  const out: Partial = { tls: parsed.protocol === 'amqps:' };
  if (parsed.hostname !== '') out.host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (parsed.port !== '') out.port = Number(parsed.port);
  if (parsed.username !== '') out.user = decodeURIComponent(parsed.username);
  if (parsed.password !== '') out.password = decodeURIComponent(parsed.password);
  // RabbitMQ's URI spec: the path minus its leading `/` is the vhost, `%2F` for `/`.
  if (parsed.pathname.length > 1) out.vhost = decodeURIComponent(parsed.pathname.slice(1));
  return out;
}

/**
 * The settings in effect, key by key: `explicit` (constructor options) over `provided` (the
 * `rabbitmq:` section, YAML and `LIBRETTO_RABBITMQ__*`), then the URL's parts, then the
 * seed's variables (`RABBITMQ_HOST`…), then the defaults. The password is not enumerable.
 */
export function resolveRabbitMqSettings(
  provided: Partial,
  explicit: Partial,
  env: Readonly<Record<string, string | undefined>> = {},
): RabbitMqSettings {
  const merged: Partial = { ...provided };
  for (const [key, value] of Object.entries(explicit)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  const fromUrl = merged.url === undefined ? {} : parseAmqpUrl(merged.url);
  const seed = settingsFromSeedEnv(env);
  const pick = <K extends keyof RabbitMqSettings>(key: K): RabbitMqSettings[K] | undefined =>
    (merged[key] ?? fromUrl[key] ?? seed[key]) as RabbitMqSettings[K] | undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(RABBITMQ_DEFAULTS) as (keyof typeof RABBITMQ_DEFAULTS)[]) {
    out[key] = pick(key) ?? RABBITMQ_DEFAULTS[key];
  }
  out.url = merged.url;
  out.port = pick('port') ?? (out.tls === true ? 5671 : 5672);
  const password = out.password;
  delete out.password;
  // Not enumerable: spreading or logging the settings never shows it.
  Object.defineProperty(out, 'password', { value: password, enumerable: false });
  return Object.freeze(out) as unknown as RabbitMqSettings;
}

/** `host:port vhost /` — how errors and logs name the broker (never with credentials). */
export function describeBroker(s: RabbitMqSettings): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  return `${host}:${s.port} vhost ${s.vhost}`;
}
