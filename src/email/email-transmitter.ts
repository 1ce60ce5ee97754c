import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as z from 'zod';
import { ConfigError, type ConfigIssue } from '../config/config-errors.js';
import { Service } from '../core/service.js';
import { NotFoundError, ValidationError } from '../errors/domain-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { BackoffOptions, Consumer, ReceivedMessage } from '../messaging/broker.js';
import { Broker } from '../messaging/broker.js';
import type { AwsCredentials } from './aws-signature.js';
import { EmailConfig, type EmailSection } from './email-config.js';
import {
  EMAIL_ADDRESS,
  type EmailConfiguration,
  type EmailDefinition,
  type EmailProviderName,
  loadEmailDefinition,
} from './email-definition.js';
import type { EmailProvider, OutgoingEmail } from './email-provider.js';
import { renderTemplate } from './email-template.js';
import { createEmailProvider } from './provider-factory.js';
import type { FetchFunction } from './provider-http.js';

/** Options of an {@link EmailTransmitter}; each wins over the `email:` section's key. */
export interface EmailTransmitterOptions {
  /** config.json: its path, or the definition already loaded (`loadEmailDefinition`). */
  readonly config?: string | EmailDefinition;
  /** The queue, without the broker's prefix (`EmailServiceProcessor_QUEUE_NAME`). */
  readonly queue?: string;
  /** Which entry of `configurations` sends (the first). */
  readonly provider?: EmailProviderName;
  /** Emails sent at once (the broker's `prefetch`). */
  readonly prefetch?: number;
  /** Tries after the first before a message is dead-lettered and reported (3). */
  readonly retries?: number;
  /** Delays between tries (1 s doubling up to 60 s). */
  readonly backoff?: BackoffOptions;
  /** Milliseconds a provider may take to answer (30 000). */
  readonly timeout?: number;
  /** Where the seed's variables and the providers' secrets are read (`process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The `fetch` Mailjet and SES are called with (the global one). */
  readonly fetch?: FetchFunction;
  /** AWS keys for SES from elsewhere than `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`. */
  readonly awsCredentials?: () => AwsCredentials | Promise<AwsCredentials>;
}

/** What a transmitter has done since it started. */
export interface EmailTransmitterStats {
  /** Emails the provider accepted. */
  readonly sent: number;
  /** Tries that failed (each is retried, or dead-lettered after the last). */
  readonly failed: number;
  /** Messages given up on: dead-lettered, with a report sent to `errorReportingEmail`. */
  readonly reported: number;
}

/** An event of config.json made ready for the provider in use. */
interface PreparedEvent {
  readonly subject: string;
  readonly html?: string | undefined;
  readonly text?: string | undefined;
  readonly templateId?: number | string | undefined;
}

const OPTION_KEYS = new Set([
  'config',
  'queue',
  'provider',
  'prefetch',
  'retries',
  'backoff',
  'timeout',
  'env',
  'fetch',
  'awsCredentials',
]);

/** A message as rococo's producers send it. */
const messageSchema = z.object({
  event: z.string().min(1),
  data: z.record(z.string(), z.unknown()).default({}),
  to_emails: z.array(z.string().regex(EMAIL_ADDRESS, 'must be an email address')).min(1),
});

/** The variable naming the queue, as the seed's docker-compose service reads it. */
export const EMAIL_QUEUE_VARIABLE = 'EmailServiceProcessor_QUEUE_NAME';

/**
 * rococo's email-transmitter as a Libretto service: consumes the queue
 * `QUEUE_NAME_PREFIX + EmailServiceProcessor_QUEUE_NAME` (the prefix is the broker's) in
 * rococo's plain JSON format, and sends one email per message `{ event, data, to_emails }`
 * as config.json's `events[event]` says, through the provider of its `configurations`
 * (SMTP, Mailjet or Amazon SES). config.json is checked at start — every problem with its
 * JSON path — as are the provider's settings and templates. A message that fails (unknown
 * event, a variable missing, the provider refusing or unreachable) is retried with backoff;
 * after the last try a report goes to `errorReportingEmail` and the message is
 * dead-lettered (`<queue>.dead-letter`). Needs the application's `Broker`.
 *
 * @example
 * new Application(
 *   new ConfigService({ sections: [RabbitMqConfig, EmailConfig] }),
 *   new RabbitMqService(),
 *   new EmailTransmitter({ config: 'services/email_transmitter/config.json' }),
 * );
 */
export class EmailTransmitter extends Service {
  readonly #options: EmailTransmitterOptions;
  #definition: EmailDefinition | undefined;
  #configuration: EmailConfiguration | undefined;
  #provider: EmailProvider | undefined;
  #events = new Map<string, PreparedEvent>();
  #consumer: Consumer | undefined;
  #queue = '';
  #retries = 3;
  #stats = { sent: 0, failed: 0, reported: 0 };

  constructor(options: EmailTransmitterOptions = {}) {
    super('EmailTransmitter');
    if (typeof options !== 'object' || options === null) {
      invalidOption('EmailTransmitter', 'options', 'must be an object');
    }
    rejectUnknownKeys('EmailTransmitter', options, OPTION_KEYS);
    this.#options = options;
  }

  /** The queue consumed, without the prefix (after start). */
  get queue(): string {
    return this.#queue;
  }

  /** The provider sending (after start). */
  get provider(): EmailProviderName | undefined {
    return this.#provider?.name;
  }

  /** The definition in use (after start). */
  get definition(): EmailDefinition | undefined {
    return this.#definition;
  }

  /** Emails sent, failed tries and messages reported since start. */
  get stats(): EmailTransmitterStats {
    return { ...this.#stats };
  }

  override async start(): Promise<void> {
    const section: EmailSection = (await this.getOptionalDependency(EmailConfig)) ?? {};
    const o = this.#options;
    const env = o.env ?? process.env;
    const queue = o.queue ?? section.queue ?? (env[EMAIL_QUEUE_VARIABLE] || undefined);
    if (queue === undefined) {
      throw new ConfigError([
        {
          path: 'email.queue',
          message: `no queue to consume: set email.queue or ${EMAIL_QUEUE_VARIABLE}`,
        },
      ]);
    }
    const given = o.config ?? section.config ?? 'config.json';
    const definition = typeof given === 'string' ? loadEmailDefinition(given) : given;
    const wanted = o.provider ?? section.provider;
    const index =
      wanted === undefined ? 0 : definition.configurations.findIndex((c) => c.provider === wanted);
    const configuration = definition.configurations[index];
    if (configuration === undefined) {
      throw new ConfigError([
        { path: 'configurations', message: `no entry for the provider ${wanted}` },
      ]);
    }
    this.#retries = o.retries ?? section.retries ?? 3;
    const prefetch = o.prefetch ?? section.prefetch;
    const timeout = o.timeout ?? (section.timeout === undefined ? 30_000 : section.timeout * 1000);
    const provider = createEmailProvider(configuration, {
      env,
      path: `configurations[${index}]`,
      timeout,
      concurrency: prefetch ?? 10,
      fetch: o.fetch,
      awsCredentials: o.awsCredentials,
    });
    this.#events = prepareEvents(definition, provider.name);
    this.#definition = definition;
    this.#configuration = configuration;
    this.#provider = provider;
    this.#queue = queue;
    const backoff: BackoffOptions = o.backoff ?? {
      ...(section.retry_delay === undefined ? {} : { initialDelay: section.retry_delay * 1000 }),
      ...(section.retry_max_delay === undefined
        ? {}
        : { maxDelay: section.retry_max_delay * 1000 }),
    };
    const broker = await this.getDependency(Broker);
    this.#consumer = await broker.consume(queue, (message) => this.#handle(message), {
      format: 'json',
      retries: this.#retries,
      backoff,
      ...(prefetch === undefined ? {} : { prefetch }),
    });
    this.logger.info(
      { queue, provider: provider.name, events: this.#events.size },
      'email transmitter consuming',
    );
  }

  /** Takes no new message, lets the emails being sent finish, closes the provider. */
  override async stop(): Promise<void> {
    await this.#consumer?.stop();
    await this.#provider?.close();
  }

  async #handle(message: ReceivedMessage): Promise<void> {
    let event: string | undefined;
    let to: readonly string[] = [];
    try {
      const parsed = messageSchema.safeParse(message.data);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(
          (i) => `${i.path.join('.') || '<root>'} ${i.message}`,
        );
        const raw = message.data as { event?: unknown; to_emails?: unknown } | null;
        if (typeof raw?.event === 'string') event = raw.event;
        throw new ValidationError(`Malformed email message: ${issues.join('; ')}`, {
          code: 'EMAIL_MESSAGE_MALFORMED',
          details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      event = parsed.data.event;
      to = parsed.data.to_emails;
      const id = await this.#send(parsed.data.event, parsed.data.data, to);
      this.#stats.sent++;
      this.logger.debug({ event, recipients: to.length, providerId: id }, 'email sent');
    } catch (error) {
      this.#stats.failed++;
      const reason = (error as Error).message;
      if (message.attempt > this.#retries) {
        await this.#report(message, event, to, reason);
      } else {
        this.logger.warn(
          { queue: this.#queue, id: message.id, event, attempt: message.attempt, err: error },
          `email not sent, will retry: ${reason}`,
        );
      }
      throw error;
    }
  }

  #send(name: string, data: Readonly<Record<string, unknown>>, to: readonly string[]) {
    const event = this.#events.get(name);
    if (event === undefined) {
      throw new NotFoundError(`Unknown email event ${name}: config.json has no events.${name}`, {
        code: 'EMAIL_UNKNOWN_EVENT',
        details: [{ event: name }],
      });
    }
    const what = (part: string) => `${name} ${part}`;
    const email: OutgoingEmail = {
      from: (this.#configuration as EmailConfiguration).sourceEmail,
      to,
      event: name,
      subject: renderTemplate(event.subject, data, { html: false, what: what('subject') }),
      html:
        event.html === undefined
          ? undefined
          : renderTemplate(event.html, data, { html: true, what: what('template') }),
      text:
        event.text === undefined
          ? undefined
          : renderTemplate(event.text, data, { html: false, what: what('text template') }),
      template:
        event.templateId === undefined ? undefined : { id: event.templateId, variables: data },
    };
    return (this.#provider as EmailProvider).send(email);
  }

  /** The last try failed: tell `errorReportingEmail` (reason, event, recipients; no data). */
  async #report(
    message: ReceivedMessage,
    event: string | undefined,
    to: readonly string[],
    reason: string,
  ): Promise<void> {
    const configuration = this.#configuration as EmailConfiguration;
    const attempts = message.attempt;
    this.logger.error(
      { queue: this.#queue, id: message.id, event, attempts },
      `email not sent after ${attempts} tries, dead-lettered and reported: ${reason}`,
    );
    const text = [
      `The email transmitter gave up on a message after ${attempts} tries; it is in the queue ${this.#queue}.dead-letter.`,
      '',
      `Reason: ${reason}`,
      `Event: ${event ?? '(none)'}`,
      `Recipients: ${to.length === 0 ? '(none)' : to.join(', ')}`,
      `Queue: ${this.#queue}`,
      `Message id: ${message.id}`,
      `Provider: ${this.#provider?.name}`,
    ].join('\n');
    try {
      await (this.#provider as EmailProvider).send({
        from: configuration.sourceEmail,
        to: [configuration.errorReportingEmail],
        subject: `Email not sent: ${event ?? 'malformed message'}`,
        text,
      });
      this.#stats.reported++;
    } catch (error) {
      this.logger.error(
        { err: error, to: configuration.errorReportingEmail },
        'the failure report could not be sent either',
      );
    }
  }
}

/**
 * Each event ready for `provider`: Mailjet needs `id.mailjet`; SES uses `id.ses` or else a
 * template file; SMTP a template file — `id.smtp`, else `<templateName>.html`, beside
 * config.json, with an optional `.txt` of the same name. Every gap is one issue.
 */
function prepareEvents(
  definition: EmailDefinition,
  provider: EmailProviderName,
): Map<string, PreparedEvent> {
  const issues: ConfigIssue[] = [];
  const events = new Map<string, PreparedEvent>();
  for (const [name, event] of Object.entries(definition.events)) {
    const path = `events.${name}`;
    if (provider === 'mailjet') {
      if (event.id?.mailjet === undefined) {
        issues.push({ path: `${path}.id.mailjet`, message: 'Mailjet needs the template id' });
      }
      events.set(name, { subject: event.subject, templateId: event.id?.mailjet });
      continue;
    }
    if (provider === 'ses' && event.id?.ses !== undefined) {
      events.set(name, { subject: event.subject, templateId: event.id.ses });
      continue;
    }
    const file =
      event.id?.smtp ??
      (event.templateName === undefined ? undefined : `${event.templateName}.html`);
    if (file === undefined) {
      issues.push({
        path: `${path}.templateName`,
        message: `${provider} needs a template file: give templateName or id.smtp`,
      });
      continue;
    }
    const html = isAbsolute(file) ? file : join(definition.directory, file);
    if (!existsSync(html)) {
      issues.push({
        path: event.id?.smtp === undefined ? `${path}.templateName` : `${path}.id.smtp`,
        message: `the template file ${html} does not exist`,
      });
      continue;
    }
    const textFile = html.replace(/\.html?$/i, '.txt');
    events.set(name, {
      subject: event.subject,
      html: readFileSync(html, 'utf8'),
      text: textFile !== html && existsSync(textFile) ? readFileSync(textFile, 'utf8') : undefined,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return events;
}
