import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError, type ConfigIssue } from '../config/config-errors.js';

/** The providers the transmitter can send through. */
export const EMAIL_PROVIDERS = ['smtp', 'mailjet', 'ses'] as const;

/** One of {@link EMAIL_PROVIDERS}. */
export type EmailProviderName = (typeof EMAIL_PROVIDERS)[number];

/** `system@example.com` or `Name <system@example.com>`: what a From or To header takes. */
export const EMAIL_ADDRESS = /^(?:[^<>]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/;
const address = () =>
  z.string().regex(EMAIL_ADDRESS, 'must be an email address (Name <a@b.c> or a@b.c)');

/**
 * One entry of `configurations`. Only `provider`, `sourceEmail` and `errorReportingEmail` are
 * rococo's; the rest say where a provider is when the environment does not. Other keys are
 * kept and ignored, so a config.json written for rococo loads as it is.
 */
const configurationSchema = z.looseObject({
  provider: z.enum(EMAIL_PROVIDERS),
  sourceEmail: address(),
  errorReportingEmail: address(),
  /** SMTP: the server (else `SMTP_HOST`, `SMTP_PORT`, `SMTP_USER`, `SMTP_SECURE`). */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  secure: z.boolean().optional(),
  user: z.string().min(1).optional(),
  /** SES: the region (else `AWS_REGION`). */
  region: z.string().min(1).optional(),
  /** Mailjet or SES: the API's base URL (else the provider's public one). */
  endpoint: z.url().optional(),
});

const eventSchema = z.looseObject({
  subject: z.string().min(1),
  templateName: z.string().min(1).optional(),
  /** By provider: Mailjet's numeric template id, SES's template name, SMTP's template file. */
  id: z
    .looseObject({
      mailjet: z.number().int().positive().optional(),
      ses: z.string().min(1).optional(),
      smtp: z.string().min(1).optional(),
    })
    .optional(),
});

const definitionSchema = z.strictObject({
  configurations: z.array(configurationSchema).min(1),
  events: z.record(z.string().min(1), eventSchema),
});

/** A provider's entry of `configurations` in config.json. */
export type EmailConfiguration = z.output<typeof configurationSchema>;

/** One event of config.json: the email sent when a message names it. */
export type EmailEvent = z.output<typeof eventSchema>;

/**
 * The email transmitter's config.json (rococo's format), checked: the `configurations` of
 * the providers and the `events` by name, with the directory template files are read from.
 */
export interface EmailDefinition {
  readonly configurations: readonly EmailConfiguration[];
  readonly events: Readonly<Record<string, EmailEvent>>;
  /** Where SMTP and SES templates are looked for: config.json's directory. */
  readonly directory: string;
}

/** `["events", "USER_CREATED", "subject"]` → `events.USER_CREATED.subject`. */
function jsonPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/**
 * Checks a parsed config.json. Every problem is one `ConfigError` issue with its JSON path
 * (`configurations[0].sourceEmail`, `events.USER_CREATED.subject`) and `source`.
 */
export function parseEmailDefinition(
  json: unknown,
  directory: string,
  source = 'config.json',
): EmailDefinition {
  const parsed = definitionSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i): ConfigIssue => ({ path: jsonPath(i.path), message: i.message, source }),
      ),
    );
  }
  const providers = new Set<string>();
  const issues: ConfigIssue[] = [];
  parsed.data.configurations.forEach((c, i) => {
    if (providers.has(c.provider)) {
      issues.push({
        path: `configurations[${i}].provider`,
        message: `${c.provider} is configured twice`,
        source,
      });
    }
    providers.add(c.provider);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { ...parsed.data, directory };
}

/**
 * Reads and checks config.json: a file that cannot be read or is not JSON, and every value
 * that fails the format, is a `ConfigError` listing each problem with its JSON path.
 */
export function loadEmailDefinition(path: string): EmailDefinition {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigError([{ path: '', message: `${file} ${why}`, source: file }], error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      [{ path: '', message: `not JSON: ${(error as Error).message}`, source: file }],
      error,
    );
  }
  return parseEmailDefinition(json, dirname(file), file);
}
