import { ConfigError, type ConfigIssue } from './config-errors.js';

/** Configuration read from environment variables, before coercion. */
export interface EnvConfig {
  /** Nested object of strings: `APP_DB__POOL__MAX=5` → `{ db: { pool: { max: '5' } } }`. */
  readonly tree: Record<string, unknown>;
  /** For each dotted (lower-case) key path, the variable it came from. */
  readonly origins: ReadonlyMap<string, string>;
}

/**
 * Reads every variable starting with `prefix` into a nested object: the rest of the name is
 * lower-cased and split on `__` (`LIBRETTO_POSTGRES__POOL_SIZE=20` →
 * `{ postgres: { pool_size: '20' } }`). Values stay strings here; they are coerced against
 * the schema that reads them. A variable that is both a value and a parent of another
 * (`P_A=1` and `P_A__B=2`) is a `ConfigError`.
 */
export function readEnvConfig(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  exclude: readonly string[] = [],
): EnvConfig {
  const tree: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const names = Object.keys(env)
    .filter((n) => n.startsWith(prefix) && n.length > prefix.length && !exclude.includes(n))
    .sort();
  for (const name of names) {
    const value = env[name];
    if (value === undefined) continue;
    const segments = name.slice(prefix.length).toLowerCase().split('__');
    if (segments.some((s) => s === '')) {
      issues.push({ path: segments.join('.'), source: name, message: 'empty key segment' });
      continue;
    }
    let node = tree;
    let conflict = false;
    for (const segment of segments.slice(0, -1)) {
      const next = node[segment];
      if (next === undefined) {
        const child: Record<string, unknown> = {};
        node[segment] = child;
        node = child;
      } else if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
      else {
        conflict = true;
        break;
      }
    }
    const leaf = segments.at(-1) as string;
    if (conflict || (leaf in node && typeof node[leaf] === 'object')) {
      issues.push({
        path: segments.join('.'),
        source: name,
        message: 'conflicts with another variable that sets a parent or child of this key',
      });
      continue;
    }
    node[leaf] = value;
    origins.set(segments.join('.'), name);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { tree, origins };
}
