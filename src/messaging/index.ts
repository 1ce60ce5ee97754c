export {
  type BackoffOptions,
  Broker,
  type ConsumeOptions,
  type Consumer,
  type MessageHandler,
  type ReceivedMessage,
  type SendOptions,
} from './broker.js';
export { CurrentMessage } from './current-message.js';
export { Inbox } from './inbox.js';
export {
  ensureInboxTable,
  INBOX_TABLE,
  inboxTableStatements,
} from './inbox-table.js';
export { MessageConsumer, type MessageConsumerStats } from './message-consumer.js';
export {
  INBOX_DEFAULTS,
  type InboxOptions,
  type Injected,
  type Injections,
  type MessageConsumerOptions,
} from './message-consumer-options.js';
export {
  createEnvelope,
  decodeEnvelope,
  type EnvelopeFields,
  encodeEnvelope,
  type MessageEnvelope,
} from './message-envelope.js';
export { HEADERS } from './message-headers.js';
export {
  Outbox,
  type OutboxAddOptions,
  type OutboxMessage,
  type OutboxOptions,
} from './outbox.js';
export { OutboxRelay, type OutboxRelayStats } from './outbox-relay.js';
export {
  OUTBOX_RELAY_DEFAULTS,
  type OutboxRelayOptions,
  type ResolvedOutboxRelayOptions,
} from './outbox-relay-options.js';
export { OutboxService, type OutboxServiceOptions } from './outbox-service.js';
export {
  ensureOutboxTable,
  OUTBOX_TABLE,
  outboxChannel,
  outboxTableStatements,
} from './outbox-table.js';
export type { MessageFormat } from './plain-message.js';
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
export { SQS_ATTRIBUTES } from './sqs-attributes.js';
export { SqsBroker, type SqsBrokerOptions, type SqsConnectSettings } from './sqs-broker.js';
export { SqsConfig, type SqsSection } from './sqs-config.js';
export { SqsService, type SqsServiceOptions } from './sqs-service.js';
export { resolveSqsSettings, SQS_DEFAULTS, type SqsSettings } from './sqs-settings.js';
