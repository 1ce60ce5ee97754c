import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { DynamoConfig } from './dynamo-config.js';
import {
  DYNAMODB_SETTING_KEYS,
  type DynamoSettings,
  describeDynamo,
  dynamoSettingsFromSection,
  resolveDynamoSettings,
} from './dynamo-settings.js';
import { DynamoStore } from './dynamo-store.js';

/** Options of a {@link DynamoService}: any setting (over the `dynamodb:` section), and the environment. */
export type DynamoServiceOptions = {
  readonly [K in keyof DynamoSettings]?: DynamoSettings[K] | undefined;
} & {
  /** Where `AWS_REGION` / `AWS_DEFAULT_REGION` are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

const OPTION_KEYS = new Set([...DYNAMODB_SETTING_KEYS, 'env']);

/**
 * The application's DynamoDB: provides `DynamoStore` (APP scope), checks at start that
 * DynamoDB answers and takes the credentials (failing the start with the endpoint or region
 * and the reason), reports readiness with a cheap request, closes the client at stop.
 * Settings: constructor > `DynamoConfig` from DI (`dynamodb:` in YAML, `LIBRETTO_DYNAMODB__*`)
 * > `AWS_REGION` > defaults; credentials not given come from the standard AWS chain.
 *
 * @example
 * new Application(new ConfigService({ sections: [DynamoConfig] }), new DynamoService(), …);
 */
export class DynamoService extends Service {
  readonly #options: DynamoServiceOptions;
  #settings: DynamoSettings | undefined;

  constructor(options: DynamoServiceOptions = {}) {
    super('DynamoService');
    rejectUnknownKeys('DynamoService', options, OPTION_KEYS);
    if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
      invalidOption('DynamoService', 'env', 'must be an object of variables');
    }
    this.#options = options;
  }

  /** The settings in effect (after start). */
  get settings(): DynamoSettings | undefined {
    return this.#settings;
  }

  override providers(): readonly Provider[] {
    return [provide(DynamoStore, { use: () => this.#open(), dispose: (store) => store.close() })];
  }

  override async start(): Promise<void> {
    const store = await this.getDependency(DynamoStore);
    await store.ping();
    this.logger.info({ database: describeDynamo(store.settings) }, 'DynamoDB ready');
  }

  override async checkHealth(): Promise<void> {
    await (await this.getDependency(DynamoStore)).ping();
  }

  async #open(): Promise<DynamoStore> {
    const section = await this.getOptionalDependency(DynamoConfig);
    const { env = process.env, ...explicit } = this.#options;
    const settings = resolveDynamoSettings(
      section === undefined ? {} : dynamoSettingsFromSection(section),
      explicit,
      env,
    );
    this.#settings = settings;
    return DynamoStore.fromSettings(settings);
  }
}
