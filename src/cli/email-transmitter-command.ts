import { ConfigError } from '../config/config-errors.js';
import { Application } from '../core/application.js';
import {
  EMAIL_PROVIDERS,
  type EmailProviderName,
  loadEmailDefinition,
} from '../email/email-definition.js';
import { EmailTransmitter } from '../email/email-transmitter.js';
import { RabbitMqService } from '../messaging/rabbitmq-service.js';
import { CliError } from './cli-error.js';
import { loadEnvFiles } from './env-files.js';
import { parseCommandArgs } from './parse-command-args.js';

const USAGE = `Usage: libretto email-transmitter [options]

Sends one email per message of the queue QUEUE_NAME_PREFIX + EmailServiceProcessor_QUEUE_NAME
({ "event", "data", "to_emails" } as plain JSON, as rococo sends it), as config.json says.
Runs until SIGTERM or SIGINT, then lets the emails being sent finish and stops.

Options:
  --config <file>       rococo's config.json (configurations, events). Default: ./config.json
  --env-files <files>   Comma-separated .env files to load first. Default: .env.secrets and
                        <APP_ENV>.env when present (variables already set win)
  --provider <name>     The entry of configurations that sends (smtp, mailjet, ses). Default: the first
  --queue <name>        The queue, instead of EmailServiceProcessor_QUEUE_NAME
  -h, --help            Show this help

Environment: RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER, RABBITMQ_PASSWORD,
RABBITMQ_VIRTUAL_HOST, QUEUE_NAME_PREFIX, EmailServiceProcessor_QUEUE_NAME; the provider's:
MAILJET_API_KEY and MAILJET_API_SECRET; SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD,
SMTP_SECURE; AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
Exit codes: 0 stopped cleanly; 1 the start or the stop failed; 2 a mistake in the call or config.json.
`;

/**
 * `libretto email-transmitter`: the seed's email-transmitter container as a plain process —
 * RabbitMQ from the environment, an {@link EmailTransmitter} on config.json. A broken
 * config.json exits 2 before connecting, listing every problem with its JSON path.
 */
export async function emailTransmitterCommand(args: readonly string[]): Promise<number> {
  const values = parseCommandArgs(args, {
    config: { type: 'string' },
    'env-files': { type: 'string' },
    provider: { type: 'string' },
    queue: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const provider = values.provider;
  if (provider !== undefined && !(EMAIL_PROVIDERS as readonly string[]).includes(provider)) {
    throw new CliError(
      `--provider must be one of ${EMAIL_PROVIDERS.join(', ')}, not "${provider}"`,
    );
  }
  loadEnvFiles(values['env-files']);
  let definition: ReturnType<typeof loadEmailDefinition>;
  try {
    definition = loadEmailDefinition(values.config ?? 'config.json');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues = error.issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
    throw new CliError(`invalid ${error.issues[0]?.source ?? 'config.json'}: ${issues.join('; ')}`);
  }
  const app = new Application(
    new RabbitMqService(),
    new EmailTransmitter({
      config: definition,
      ...(provider === undefined ? {} : { provider: provider as EmailProviderName }),
      ...(values.queue === undefined ? {} : { queue: values.queue }),
    }),
  );
  // Exits the process: 0 after a clean stop on SIGTERM/SIGINT, 1 after a failure.
  await app.run();
  return 0;
}
