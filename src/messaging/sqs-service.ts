import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { Broker } from './broker.js';
import { SqsBroker, type SqsConnectSettings } from './sqs-broker.js';
import { SqsConfig } from './sqs-config.js';
import {
  describeSqs,
  resolveSqsSettings,
  SQS_SETTING_KEYS,
  type SqsSettings,
  sqsSettingsFromSection,
} from './sqs-settings.js';

/**
 * Options of an {@link SqsService}: any setting (over the `sqs:` section), and the
 * environment `QUEUE_NAME_PREFIX` is read from.
 */
export type SqsServiceOptions = SqsConnectSettings & {
  /** Where `QUEUE_NAME_PREFIX` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

const OPTION_KEYS = new Set([...SQS_SETTING_KEYS, 'env']);

/**
 * The application's message broker on Amazon SQS: checks at start that SQS answers (failing
 * the start with the endpoint or region and the reason), provides `Broker` and `SqsBroker`
 * (APP scope), reports readiness with a cheap request, and at stop lets consumers finish
 * within `stop_timeout`. Settings: constructor > `SqsConfig` from DI (`sqs:` in YAML,
 * `LIBRETTO_SQS__*`) > `QUEUE_NAME_PREFIX` > defaults; region and credentials not given come
 * from the standard AWS chain.
 *
 * @example
 * new Application(new ConfigService({ sections: [SqsConfig] }), new SqsService(), new Worker());
 */
export class SqsService extends Service {
  readonly #options: SqsServiceOptions;
  #settings: SqsSettings | undefined;

  constructor(options: SqsServiceOptions = {}) {
    super('SqsService');
    rejectUnknownKeys('SqsService', options, OPTION_KEYS);
    if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
      invalidOption('SqsService', 'env', 'must be an object of variables');
    }
    this.#options = options;
  }

  /** The settings in effect (after start). */
  get settings(): SqsSettings | undefined {
    return this.#settings;
  }

  override providers(): readonly Provider[] {
    return [
      provide(SqsBroker, { use: () => this.#open(), dispose: (broker) => broker.close() }),
      provide(Broker, { deps: [SqsBroker], use: (broker) => broker }),
    ];
  }

  override async start(): Promise<void> {
    const broker = await this.getDependency(SqsBroker);
    this.logger.info({ broker: describeSqs(broker.settings) }, 'SQS ready');
  }

  override async stop(): Promise<void> {
    const broker =
      this.#settings === undefined ? undefined : await this.getOptionalDependency(SqsBroker);
    await broker?.close();
  }

  override async checkHealth(): Promise<void> {
    await (await this.getDependency(SqsBroker)).ping();
  }

  async #open(): Promise<SqsBroker> {
    const section = await this.getOptionalDependency(SqsConfig);
    const { env = process.env, ...explicit } = this.#options;
    const s = resolveSqsSettings(
      section === undefined ? {} : sqsSettingsFromSection(section),
      explicit,
      env,
    );
    this.#settings = s;
    return SqsBroker.connect(s, { logger: this.logger });
  }
}
