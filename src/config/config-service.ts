import type * as z from 'zod';
import { applyConfiguredLevel, Logger } from '../core/logger.js';
import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { token } from '../di/token.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import {
  type ConfigObject,
  type ConfigSources,
  type LoadedConfig,
  loadConfig,
} from './config-loader.js';
import { ConfigSection } from './config-section.js';
import { LogConfig } from './log-config.js';

const OPTION_KEYS = new Set([
  'sections',
  'path',
  'argv',
  'env',
  'pathEnv',
  'envPrefix',
  'required',
  'strict',
]);

/** DI token of the raw configuration: the YAML document overlaid by environment variables. */
export const RawConfig = token<ConfigObject>('RawConfig');

/** Options of a {@link ConfigService}. */
export interface ConfigServiceOptions extends ConfigSources {
  /** Typed sections to validate at start and provide in DI. */
  readonly sections?: readonly ConfigSection[];
}

/**
 * Loads configuration and provides it in DI: `RawConfig` (the merged document) and every
 * listed `ConfigSection`, typed. Sources: a YAML file (`--config PATH`, or the
 * `LIBRETTO_CONFIG` variable) overlaid by `LIBRETTO_`-prefixed variables with `__` nesting.
 * The built-in `log:` section ({@link LogConfig}) is always read; its `level` applies to the
 * application's logger when no variable or option chose one.
 * Every section is validated at once, at start; a bad value fails the start with each key
 * path and its source. Put it first among the application's services.
 *
 * @example
 * const Worker = configSection('worker', z.strictObject({ interval_ms: z.number().default(1000) }));
 * new Application(new ConfigService({ sections: [Worker] }), new MyWorker()).run();
 */
export class ConfigService extends Service {
  readonly #sections: readonly ConfigSection[];
  readonly #sources: ConfigSources;
  readonly #loaded = token<LoadedConfig>('Configuration');

  constructor(options: ConfigServiceOptions = {}) {
    super('ConfigService');
    rejectUnknownKeys('ConfigService', options, OPTION_KEYS);
    const { sections = [], ...sources } = options;
    for (const [i, section] of sections.entries()) {
      if (!(section instanceof ConfigSection)) {
        invalidOption('ConfigService', `sections[${i}]`, 'is not a configSection(...)');
      }
    }
    // `log:` is everyone's: it is read (and checked) even when not listed.
    this.#sections = sections.includes(LogConfig) ? sections : [LogConfig, ...sections];
    this.#sources = sources;
  }

  override providers(): readonly Provider[] {
    const loaded = this.#loaded;
    return [
      provide(loaded, { use: () => loadConfig(this.#sections, this.#sources) }),
      provide(RawConfig, { deps: [loaded], use: (config) => config.raw }),
      ...this.#sections.map((section) =>
        provide(section, { deps: [loaded], use: (config) => config.sections.get(section) }),
      ),
    ];
  }

  override async start(): Promise<void> {
    const config = await this.getDependency(this.#loaded);
    const root = await this.getOptionalDependency(Logger);
    const log = config.sections.get(LogConfig) as z.output<typeof LogConfig.schema> | undefined;
    if (root !== undefined) applyConfiguredLevel(root, log?.level);
    this.logger.info({ path: config.path ?? null }, 'configuration loaded');
  }
}
