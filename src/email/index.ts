export { type AwsCredentials, type AwsRequest, signAwsRequest } from './aws-signature.js';
export { EmailConfig, type EmailSection } from './email-config.js';
export {
  EMAIL_PROVIDERS,
  type EmailConfiguration,
  type EmailDefinition,
  type EmailEvent,
  type EmailProviderName,
  loadEmailDefinition,
  parseEmailDefinition,
} from './email-definition.js';
export {
  type EmailProvider,
  type OutgoingEmail,
  type ProviderTemplate,
  splitAddress,
} from './email-provider.js';
export { escapeHtml, renderTemplate } from './email-template.js';
export {
  EMAIL_QUEUE_VARIABLE,
  EmailTransmitter,
  type EmailTransmitterOptions,
  type EmailTransmitterStats,
} from './email-transmitter.js';
export { MailjetProvider, type MailjetProviderOptions } from './mailjet-provider.js';
export type { FetchFunction } from './provider-http.js';
export { SesProvider, type SesProviderOptions } from './ses-provider.js';
export { SmtpProvider, type SmtpProviderOptions } from './smtp-provider.js';
