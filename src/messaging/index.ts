export {
  type BackoffOptions,
  Broker,
  type ConsumeOptions,
  type Consumer,
  type MessageHandler,
  type ReceivedMessage,
  type SendOptions,
} from './broker.js';
export {
  createEnvelope,
  decodeEnvelope,
  type EnvelopeFields,
  encodeEnvelope,
  type MessageEnvelope,
} from './message-envelope.js';
export { HEADERS } from './message-headers.js';
export { RabbitMqBroker, type RabbitMqBrokerOptions } from './rabbitmq-broker.js';
export { RabbitMqConfig, type RabbitMqSection } from './rabbitmq-config.js';
export { RabbitMqService, type RabbitMqServiceOptions } from './rabbitmq-service.js';
export {
  RABBITMQ_DEFAULTS,
  type RabbitMqSettings,
  resolveRabbitMqSettings,
  SEED_VARIABLES,
} from './rabbitmq-settings.js';
export { RETRY_DEFAULTS } from './retry-policy.js';
