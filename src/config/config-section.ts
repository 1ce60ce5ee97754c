import type * as z from 'zod';
import { Token } from '../di/token.js';
import { invalidOption } from '../errors/invalid-option.js';

/**
 * A typed view of (part of) the configuration: a DI token whose value is the section under
 * `key` (or the whole document when `key` is undefined), validated by `schema`.
 * Register sections with `ConfigService({ sections: [...] })`; inject them like any token.
 *
 * @example
 * const WorkerConfig = configSection('worker', z.object({ interval_ms: z.number().default(1000) }));
 * provide(Job, { deps: [WorkerConfig], use: (cfg) => new Job(cfg.interval_ms) });
 */
export class ConfigSection<S extends z.ZodType = z.ZodType> extends Token<z.output<S>> {
  constructor(
    readonly key: string | undefined,
    readonly schema: S,
  ) {
    super(key === undefined ? 'Config' : `Config(${key})`);
    // A section is one top-level key; nesting (`a.b`) belongs in the schema.
    if (key !== undefined && !/^[A-Za-z0-9_-]+$/.test(key)) {
      invalidOption('configSection', 'key', `"${key}" must be one top-level key name`);
    }
    if (typeof (schema as { safeParse?: unknown } | undefined)?.safeParse !== 'function') {
      invalidOption('configSection', 'schema', 'must be a zod schema');
    }
  }
}

/** A typed section of the configuration under `key`. */
export function configSection<S extends z.ZodType>(key: string, schema: S): ConfigSection<S>;
/** The whole configuration document, typed. */
export function configSection<S extends z.ZodType>(schema: S): ConfigSection<S>;
export function configSection<S extends z.ZodType>(
  keyOrSchema: string | S,
  schema?: S,
): ConfigSection<S> {
  return typeof keyOrSchema === 'string'
    ? new ConfigSection(keyOrSchema, schema as S)
    : new ConfigSection(undefined, keyOrSchema);
}
