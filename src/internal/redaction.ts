/** What a masked secret reads as. */
export const MASK = '***';

// Words that name a secret, as a whole key segment or at the end of a key.
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'pass',
  'pwd',
  'secret',
  'secrets',
  'token',
  'tokens',
  'authorization',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'apikey',
]);
const SECRET_PAIRS = new Set(['api key', 'access key', 'private key', 'secret key', 'session id']);
const SECRET_SUFFIX = /(password|passwd|passphrase|secret|token|apikey)$/;

/**
 * Whether a property name holds a secret: `password`, `db_password`, `PGPASSWORD`,
 * `apiKey`, `x-api-key`, `secretKey`, `set-cookie`, `refresh_token`, … but not `tokenizer`
 * or `passage`.
 */
export function isSecretKey(key: string): boolean {
  const segments = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    if (SECRET_WORDS.has(segments[i] as string)) return true;
    if (SECRET_PAIRS.has(`${segments[i]} ${segments[i + 1]}`)) return true;
  }
  return SECRET_SUFFIX.test(segments.join(''));
}

const KEY = String.raw`[\w.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]*`;
// `scheme://user:password@host` — keep the user, hide everything up to the last `@` of the
// address (a password may hold unencoded `@`, `/`, `?` or `#`).
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):(\S*)@/gi;
// `password=…`, `DB_PASSWORD=…`, `password = '…'` (libpq). Not `key: value`, which would
// also hit diagnostics such as "missing provider for AuthToken: A -> AuthToken".
const KEY_VALUE = new RegExp(
  String.raw`(${KEY})(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;,'"]+)`,
  'gi',
);
// `"dbPassword": "…"` inside JSON text.
const JSON_FIELD = new RegExp(String.raw`("${KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');

/**
 * Hides credentials inside free text: URL passwords, `key=value` pairs whose key names a
 * secret, and JSON secret fields. Everything else is left as is, so messages stay
 * useful.
 *
 * @example
 * maskSecrets('postgresql://app:s3cret@db/app') // 'postgresql://app:***@db/app'
 */
export function maskSecrets(text: string): string {
  if (!/[=:@]/.test(text)) return text; // the common case: nothing that could hold a secret
  return text
    .replace(URL_CREDENTIALS, `$1:${MASK}@`)
    .replace(JSON_FIELD, `$1"${MASK}"`)
    .replace(KEY_VALUE, `$1$2${MASK}`);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` as it would be serialized, with secret-named properties replaced by
 * `***` and credentials inside strings masked. Errors keep message, stack, cause and
 * (for AggregateError) errors; values with `toJSON` (Date, Buffer) are serialized first;
 * only a true cycle becomes `[Circular]`.
 */
export function redactSecrets(value: unknown, ancestors: object[] = []): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (!(value instanceof Error) && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const json = (value as { toJSON: () => unknown }).toJSON();
    return json === value ? json : redactSecrets(json, ancestors);
  }
  ancestors.push(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactSecrets(v, ancestors));
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out.type = value.name;
      out.message = maskSecrets(value.message);
      if (value.stack !== undefined) out.stack = maskSecrets(value.stack);
      if (value.cause !== undefined) out.cause = redactSecrets(value.cause, ancestors);
      if (value instanceof AggregateError) out.errors = redactSecrets(value.errors, ancestors);
    } else if (!isPlainObject(value) && value instanceof Map) {
      return redactSecrets(Object.fromEntries(value), ancestors);
    }
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && v !== undefined && v !== null ? MASK : redactSecrets(v, ancestors);
    }
    return out;
  } finally {
    ancestors.pop();
  }
}
