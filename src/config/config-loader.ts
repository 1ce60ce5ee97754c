import { readFile } from 'node:fs/promises';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { LOGGER_VARIABLES } from '../core/logger.js';
import { ConfigError, type ConfigIssue } from './config-errors.js';
import type { ConfigSection } from './config-section.js';
import { readEnvConfig } from './env-config.js';
import { coerceToSchema, foldKey } from './schema-coercion.js';

/** A configuration document as read: plain nested objects. */
export type ConfigObject = Readonly<Record<string, unknown>>;

/** Where configuration comes from. */
export interface ConfigSources {
  /** Path of a YAML file. When absent, `--config PATH` in `argv`, then `env[pathEnv]`. */
  readonly path?: string | undefined;
  /** Command-line arguments to look for `--config PATH` in. Default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
  /** Environment to read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Variable naming the config file. Default `LIBRETTO_CONFIG`. */
  readonly pathEnv?: string;
  /** Prefix of configuration variables (`LIBRETTO_API__PORT=8080`); `false` disables. Default `LIBRETTO_`. */
  readonly envPrefix?: string | false;
  /** Fail when no file is given. Default `false`. */
  readonly required?: boolean;
  /** Top-level keys that belong to no section are errors. Default `true`. */
  readonly strict?: boolean;
}

/** The outcome of loading: the merged raw document and every section, validated. */
export interface LoadedConfig {
  readonly path: string | undefined;
  readonly raw: ConfigObject;
  readonly sections: ReadonlyMap<ConfigSection, unknown>;
}

/** Finds the config file path: explicit, then `--config PATH` / `--config=PATH`, then env. */
export function findConfigPath(sources: ConfigSources): string | undefined {
  if (sources.path !== undefined) return sources.path;
  const argv = sources.argv ?? process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config' || arg === '-c') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) {
        throw new ConfigError([{ path: '', message: `${arg} needs a file path` }]);
      }
      return next;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  const env = sources.env ?? process.env;
  const fromEnv = env[sources.pathEnv ?? 'LIBRETTO_CONFIG'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

async function readYaml(
  path: string,
): Promise<{ data: Record<string, unknown>; doc: Document; lines: LineCounter }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot be read';
    throw new ConfigError([{ path: '', source: path, message: `config ${reason}` }], error);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first line of the parser's message only: later lines quote the source, which
    // may hold a secret.
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return {
          path: '',
          source: `${path}:${at.line}:${at.col}`,
          message: `malformed YAML: ${(e.message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '')}`,
        };
      }),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return { data: {}, doc, lines };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      { path: '', source: path, message: 'the document must be a mapping of keys to values' },
    ]);
  }
  return { data: data as Record<string, unknown>, doc, lines };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge where `over` wins; objects merge key by key, anything else replaces. */
function merge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

/** Finds the environment's (lower-case) key for a section key. */
function matchKey(obj: Record<string, unknown>, key: string): string | undefined {
  if (key in obj) return key;
  const folded = foldKey(key);
  return Object.keys(obj).find((k) => foldKey(k) === folded);
}

/**
 * Offset of the deepest key of `segments` present in the document (the key's own line, not
 * its value's), so that a missing or unknown key points at its nearest existing parent.
 */
function keyOffset(doc: Document, segments: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (pair === undefined) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as { range?: [number] } | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** "section is missing", naming the keys it needs when an empty section says which. */
function missingSection(issues: readonly z.core.$ZodIssue[]): string {
  const keys = issues
    .filter((i) => i.code === 'invalid_type' && i.path.length === 1)
    .map((i) => String(i.path[0]));
  return keys.length === 0 ? 'section is missing' : `section is missing (needs ${keys.join(', ')})`;
}

/**
 * Loads configuration: the YAML file, overlaid by prefixed environment variables (coerced
 * to each section's schema), then validates every section at once. Throws one
 * `ConfigError` listing each bad key path with its source (file line or variable).
 */
export async function loadConfig(
  sections: readonly ConfigSection[],
  sources: ConfigSources = {},
): Promise<LoadedConfig> {
  const path = findConfigPath(sources);
  if (path === undefined && sources.required === true) {
    throw new ConfigError([
      {
        path: '',
        message: `no config file: pass --config PATH or set ${sources.pathEnv ?? 'LIBRETTO_CONFIG'}`,
      },
    ]);
  }
  const file = path === undefined ? undefined : await readYaml(path);
  const pathEnv = sources.pathEnv ?? 'LIBRETTO_CONFIG';
  const prefix = sources.envPrefix ?? 'LIBRETTO_';
  if (prefix === '') {
    // Every variable (PATH, HOME, …) would become configuration.
    throw new ConfigError([
      { path: '', message: 'envPrefix must not be empty (use false to ignore the environment)' },
    ]);
  }
  const envConfig =
    prefix === false
      ? { tree: {}, origins: new Map<string, string>() }
      : readEnvConfig(sources.env ?? process.env, prefix, [pathEnv, ...LOGGER_VARIABLES]);

  // Coerce the environment's strings where a section's schema says what they are.
  let envTree: Record<string, unknown> = envConfig.tree;
  for (const section of sections) {
    if (section.key === undefined) {
      envTree = coerceToSchema(envTree, section.schema) as Record<string, unknown>;
      continue;
    }
    const key = matchKey(envTree, section.key);
    if (key === undefined) continue;
    const { [key]: value, ...rest } = envTree;
    envTree = { ...rest, [section.key]: coerceToSchema(value, section.schema) };
  }
  const raw = merge(file?.data ?? {}, envTree);

  const issues: ConfigIssue[] = [];
  // Issues carry the schema's key names (`maxSize`); variables were read as `max_size`.
  const fold = (segments: readonly PropertyKey[]) =>
    segments.map((s) => foldKey(String(s))).join('.');
  const origins = new Map([...envConfig.origins].map(([k, v]) => [fold(k.split('.')), v]));
  const sourceOf = (segments: readonly PropertyKey[]): string | undefined => {
    for (let n = segments.length; n > 0; n--) {
      const origin = origins.get(fold(segments.slice(0, n)));
      if (origin !== undefined) return origin;
    }
    if (file === undefined || path === undefined) return undefined;
    const offset = keyOffset(file.doc, segments);
    return offset === undefined ? path : `${path}:${file.lines.linePos(offset).line}`;
  };
  const report = (segments: readonly PropertyKey[], message: string): void => {
    const source = sourceOf(segments);
    issues.push({
      path: segments.map(String).join('.'),
      message,
      ...(source === undefined ? {} : { source }),
    });
  };

  const values = new Map<ConfigSection, unknown>();
  for (const section of sections) {
    const base: readonly PropertyKey[] = section.key === undefined ? [] : [section.key];
    const input = section.key === undefined ? raw : raw[section.key];
    const schema = section.schema as z.ZodType;
    const result = schema.safeParse(input);
    if (result.success) {
      values.set(section, result.data);
      continue;
    }
    if (input === undefined) {
      // An absent section is an empty one when its schema fills every key from defaults.
      const empty = schema.safeParse({});
      if (empty.success) {
        values.set(section, empty.data);
        continue;
      }
      report(base, missingSection(empty.error.issues));
      continue;
    }
    for (const issue of result.error.issues) {
      const at = [...base, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) report([...at, key], 'unknown key');
      } else {
        report(at, issue.message);
      }
    }
  }

  // Only the file's own top-level keys: the environment is shared with everything else on
  // the machine, so a stray prefixed variable is not an error.
  if (sources.strict !== false && !sections.some((s) => s.key === undefined)) {
    const known = new Set(sections.map((s) => s.key));
    for (const key of Object.keys(file?.data ?? {})) {
      if (!known.has(key)) report([key], 'unknown section (no ConfigSection reads it)');
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { path, raw, sections: values };
}
