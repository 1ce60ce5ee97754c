/** What a masked secret reads as. */
export const MASK = '***';

// `scheme://user:password@` — keep the user, hide the password (which may hold unencoded
// `/`, `?` or `#`: anything up to the `@` is masked).
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@\s]*)@/gi;
// `password=…` in query strings and libpq keyword/value strings.
const KEY_VALUE =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)=([^&\s;'"]+)/gi;
// `"password": "…"` inside JSON text.
const JSON_FIELD =
  /("(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/** Keys whose values are secrets wherever they appear in a logged object. */
const SECRET_KEY =
  /^(password|passwd|pwd|pass|secret|token|authorization|cookie|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)$|(password|secret|token|credentials?)$/i;

/** Whether a property name holds a secret (`password`, `apiKey`, `db_password`, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Hides credentials inside free text: DSN passwords, `password=` pairs and JSON password
 * fields. Everything else is left as is, so messages stay useful.
 *
 * @example
 * maskSecrets('postgresql://app:s3cret@db/app') // 'postgresql://app:***@db/app'
 */
export function maskSecrets(text: string): string {
  if (!text.includes('=') && !text.includes('@') && !text.includes('"')) return text;
  return text
    .replace(URL_CREDENTIALS, `$1:${MASK}@`)
    .replace(KEY_VALUE, `$1=${MASK}`)
    .replace(JSON_FIELD, `$1"${MASK}"`);
}

/**
 * A copy of `value` with secret-named properties replaced by `***` and credentials inside
 * strings masked. Handles cycles and Error objects (message, stack, cause).
 */
export function redactSecrets(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, seen));
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.name;
    out.message = maskSecrets(value.message);
    if (value.stack !== undefined) out.stack = maskSecrets(value.stack);
    if (value.cause !== undefined) out.cause = redactSecrets(value.cause, seen);
  }
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretKey(key) && v !== undefined && v !== null ? MASK : redactSecrets(v, seen);
  }
  return out;
}
