import { Service } from '../core/service.js';
import { type Provider, provide } from '../di/provider.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { Broker } from './broker.js';
import { RabbitMqBroker } from './rabbitmq-broker.js';
import { RabbitMqConfig } from './rabbitmq-config.js';
import {
  describeBroker,
  RABBITMQ_SETTING_KEYS,
  type RabbitMqSettings,
  resolveRabbitMqSettings,
  settingsFromSection,
} from './rabbitmq-settings.js';

/**
 * Options of a {@link RabbitMqService}: any setting (over the `rabbitmq:` section), and the
 * environment the seed's variables are read from.
 */
export type RabbitMqServiceOptions = {
  readonly [K in keyof RabbitMqSettings]?: RabbitMqSettings[K] | undefined;
} & {
  /** Where `RABBITMQ_HOST`, `RABBITMQ_PORT`, … are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

const OPTION_KEYS = new Set([...RABBITMQ_SETTING_KEYS, 'env']);

/**
 * The application's message broker on RabbitMQ: connects at start (failing the start with
 * the host, vhost and reason when it cannot), provides `Broker` and `RabbitMqBroker` (APP
 * scope), reports readiness from the connection, and at stop lets consumers finish within
 * `stop_timeout` and closes the connection without ever hanging on a dead broker.
 * Settings: constructor > `RabbitMqConfig` from DI (`rabbitmq:` in YAML,
 * `LIBRETTO_RABBITMQ__*`) > the URL's parts > the seed's `RABBITMQ_*` variables > defaults.
 *
 * @example
 * new Application(new ConfigService({ sections: [RabbitMqConfig] }), new RabbitMqService(), new Worker());
 */
export class RabbitMqService extends Service {
  readonly #options: RabbitMqServiceOptions;
  #settings: RabbitMqSettings | undefined;

  constructor(options: RabbitMqServiceOptions = {}) {
    super('RabbitMqService');
    rejectUnknownKeys('RabbitMqService', options, OPTION_KEYS);
    if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
      invalidOption('RabbitMqService', 'env', 'must be an object of variables');
    }
    this.#options = options;
  }

  /** The settings in effect (after start). */
  get settings(): RabbitMqSettings | undefined {
    return this.#settings;
  }

  override providers(): readonly Provider[] {
    return [
      provide(RabbitMqBroker, { use: () => this.#open(), dispose: (broker) => broker.close() }),
      provide(Broker, { deps: [RabbitMqBroker], use: (broker) => broker }),
    ];
  }

  override async start(): Promise<void> {
    const broker = await this.getDependency(RabbitMqBroker);
    this.logger.info({ broker: describeBroker(broker.settings) }, 'RabbitMQ ready');
  }

  override async stop(): Promise<void> {
    const broker =
      this.#settings === undefined ? undefined : await this.getOptionalDependency(RabbitMqBroker);
    await broker?.close();
  }

  override async checkHealth(): Promise<void> {
    (await this.getDependency(RabbitMqBroker)).checkHealth();
  }

  async #open(): Promise<RabbitMqBroker> {
    const section = await this.getOptionalDependency(RabbitMqConfig);
    const { env = process.env, ...explicit } = this.#options;
    const s = resolveRabbitMqSettings(
      section === undefined ? {} : settingsFromSection(section),
      explicit,
      env,
    );
    this.#settings = s;
    return RabbitMqBroker.connect(s, { logger: this.logger });
  }
}
