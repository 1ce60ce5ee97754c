import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { SurrealConfig } from './surreal-config.js';
import { SurrealDatabase } from './surreal-database.js';
import {
  resolveSurrealSettings,
  SURREAL_SETTING_KEYS,
  type SurrealSettings,
  type SurrealSettingsInput,
  settingsFromSection,
  shownEndpoint,
} from './surreal-settings.js';

/** Options of a {@link SurrealService}: any setting, over the `surrealdb:` section. */
export type SurrealServiceOptions = SurrealSettingsInput;

/**
 * The SurrealDB database of an application: provides `SurrealDatabase` (APP scope), connected
 * when the application starts and closed when it stops; `/ready` checks it answers. Settings:
 * constructor > `SurrealConfig` from DI (`surrealdb:` in YAML, `LIBRETTO_SURREALDB__*`) >
 * defaults (`mem://`, namespace and database `libretto`). The password never reaches a log.
 *
 * @example
 * new Application(new ConfigService({ sections: [SurrealConfig] }), new SurrealService(), …);
 */
export class SurrealService extends Service {
  readonly #options: SurrealServiceOptions;
  #settings: SurrealSettings | undefined;

  constructor(options: SurrealServiceOptions = {}) {
    super('SurrealService');
    if (typeof options !== 'object' || options === null) {
      invalidOption('SurrealService', 'options', 'must be an object');
    }
    rejectUnknownKeys('SurrealService', options, SURREAL_SETTING_KEYS);
    this.#options = options;
  }

  /** The settings in effect (after start). */
  get settings(): SurrealSettings | undefined {
    return this.#settings;
  }

  override providers(): readonly Provider[] {
    return [provide(SurrealDatabase, { use: () => this.#open(), dispose: (db) => db.close() })];
  }

  override async start(): Promise<void> {
    const db = await this.getDependency(SurrealDatabase);
    await db.health();
    const s = db.settings;
    this.logger.info(
      {
        backend: 'surrealdb',
        endpoint: shownEndpoint(s.endpoint),
        namespace: s.namespace,
        database: s.database,
      },
      'database ready',
    );
  }

  override async checkHealth(): Promise<void> {
    const db = await this.getDependency(SurrealDatabase);
    await db.health();
  }

  async #open(): Promise<SurrealDatabase> {
    const section = await this.getOptionalDependency(SurrealConfig);
    const settings = resolveSurrealSettings(
      section === undefined ? {} : settingsFromSection(section),
      this.#options,
    );
    this.#settings = settings;
    return SurrealDatabase.connect({
      endpoint: settings.endpoint,
      namespace: settings.namespace,
      database: settings.database,
      ...(settings.user === undefined ? {} : { user: settings.user }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
    });
  }
}
