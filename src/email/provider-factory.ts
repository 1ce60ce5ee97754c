import { ConfigError, type ConfigIssue } from '../config/config-errors.js';
import type { AwsCredentials } from './aws-signature.js';
import type { EmailConfiguration } from './email-definition.js';
import type { EmailProvider } from './email-provider.js';
import { MailjetProvider } from './mailjet-provider.js';
import type { FetchFunction } from './provider-http.js';
import { SesProvider } from './ses-provider.js';
import { SmtpProvider } from './smtp-provider.js';

/** What a provider is built with beside its configuration entry. */
export interface ProviderContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the entry is in config.json (`configurations[0]`), for errors. */
  readonly path: string;
  /** Milliseconds a provider may take to answer. */
  readonly timeout: number;
  /** Emails sent at once: the SMTP pool's size. */
  readonly concurrency: number;
  readonly fetch?: FetchFunction | undefined;
  readonly awsCredentials?: (() => AwsCredentials | Promise<AwsCredentials>) | undefined;
}

/**
 * The provider of a `configurations` entry: its settings from the entry, else the
 * environment; its secrets from the environment only. What is missing is a `ConfigError`
 * naming the variables to set (never their values).
 */
export function createEmailProvider(
  configuration: EmailConfiguration,
  context: ProviderContext,
): EmailProvider {
  const { env, path } = context;
  const issues: ConfigIssue[] = [];
  const need = (name: string, why: string): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      issues.push({ path: `${path}.provider`, message: `${why}: set ${name}`, source: name });
      return '';
    }
    return value;
  };
  let provider: EmailProvider | undefined;
  switch (configuration.provider) {
    case 'mailjet': {
      const apiKey = need('MAILJET_API_KEY', 'Mailjet needs its API key');
      const apiSecret = need('MAILJET_API_SECRET', 'Mailjet needs its API secret');
      provider = new MailjetProvider({
        apiKey,
        apiSecret,
        endpoint: configuration.endpoint ?? (env.MAILJET_API_URL || undefined),
        timeout: context.timeout,
        ...(context.fetch === undefined ? {} : { fetch: context.fetch }),
      });
      break;
    }
    case 'ses': {
      const region =
        configuration.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
      if (region === undefined) {
        issues.push({
          path: `${path}.region`,
          message: 'Amazon SES needs a region: set region here or AWS_REGION',
        });
      }
      let credentials = context.awsCredentials;
      if (credentials === undefined) {
        const keys: AwsCredentials = {
          accessKeyId: need('AWS_ACCESS_KEY_ID', 'Amazon SES needs an access key'),
          secretAccessKey: need('AWS_SECRET_ACCESS_KEY', 'Amazon SES needs a secret key'),
          sessionToken: env.AWS_SESSION_TOKEN || undefined,
        };
        credentials = () => keys;
      }
      provider = new SesProvider({
        region: region ?? '',
        credentials,
        endpoint:
          configuration.endpoint ??
          (env.AWS_ENDPOINT_URL_SESV2 || env.AWS_ENDPOINT_URL || undefined),
        timeout: context.timeout,
        ...(context.fetch === undefined ? {} : { fetch: context.fetch }),
      });
      break;
    }
    default: {
      const host = configuration.host ?? (env.SMTP_HOST || undefined);
      if (host === undefined) {
        issues.push({
          path: `${path}.host`,
          message: 'SMTP needs a server: set host here or SMTP_HOST',
        });
      }
      let port = configuration.port;
      if (port === undefined && env.SMTP_PORT) {
        port = Number(env.SMTP_PORT);
        if (!Number.isInteger(port) || port < 1 || port > 65_535) {
          issues.push({
            path: `${path}.port`,
            message: 'is not a port number',
            source: 'SMTP_PORT',
          });
        }
      }
      const secure =
        configuration.secure ??
        (env.SMTP_SECURE === undefined ? undefined : env.SMTP_SECURE === 'true');
      const user = configuration.user ?? (env.SMTP_USER || undefined);
      provider = new SmtpProvider({
        host: host ?? '',
        ...(port === undefined ? {} : { port }),
        ...(secure === undefined ? {} : { secure }),
        user,
        password: env.SMTP_PASSWORD || undefined,
        maxConnections: context.concurrency,
        timeout: context.timeout,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return provider;
}
