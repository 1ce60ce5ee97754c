// config.json in rococo's format: the seed's example loads unchanged; a broken one fails
// with every problem and its JSON path, at load and when a transmitter starts (missing
// templates, template ids, provider secrets); the template language and its escaping.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, ConfigError, createLogger, provide } from 'libretto';
import {
  EmailTransmitter,
  loadEmailDefinition,
  parseEmailDefinition,
  renderTemplate,
} from 'libretto/email';
import { Broker } from 'libretto/messaging';
import { describe, expect, it } from 'vitest';
import { failure } from '../failure.js';

const seed = fileURLToPath(new URL('./fixtures/seed/config.json', import.meta.url));

function issuesOf(error: Error): string[] {
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('config.json', () => {
  it("the seed's example loads unchanged", () => {
    const definition = loadEmailDefinition(seed);
    expect(definition.configurations).toEqual([
      {
        provider: 'mailjet',
        sourceEmail: 'EcorRouge <system@ecorrouge.com>',
        errorReportingEmail: 'system@ecorrouge.com',
      },
    ]);
    expect(definition.events).toEqual({
      USER_CREATED: {
        subject: 'Welcome {{var:recipient_name}}',
        templateName: 'Welcome (PROD and TEST)',
        id: { mailjet: 4777555 },
      },
    });
  });

  it('a broken one lists every problem with its JSON path', async () => {
    const error = await failure(
      (async () =>
        parseEmailDefinition(
          {
            configurations: [
              { provider: 'sendgrid', sourceEmail: 'nobody', errorReportingEmail: 'a@b.c' },
              { provider: 'smtp', errorReportingEmail: 'a@b.c', port: 'x' },
            ],
            events: {
              USER_CREATED: { subject: '', id: { mailjet: 'abc' } },
              PASSWORD_RESET: 'Reset',
            },
            extra: true,
          },
          '/tmp',
        ))(),
    );
    const issues = issuesOf(error);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^configurations\[0\]\.provider: /),
        expect.stringMatching(/^configurations\[0\]\.sourceEmail: must be an email address/),
        expect.stringMatching(/^configurations\[1\]\.sourceEmail: /),
        expect.stringMatching(/^configurations\[1\]\.port: /),
        expect.stringMatching(/^events\.USER_CREATED\.subject: /),
        expect.stringMatching(/^events\.USER_CREATED\.id\.mailjet: /),
        expect.stringMatching(/^events\.PASSWORD_RESET: /),
        expect.stringMatching(/^: Unrecognized key: "extra"/),
      ]),
    );
    expect(issues).toHaveLength(8);
    expect(error.message.split('\n')[0]).toBe('Invalid configuration:');
  });

  it('a file that is missing or not JSON is a ConfigError naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-email-'));
    const broken = join(dir, 'config.json');
    writeFileSync(broken, '{ "configurations": [ }');
    expect(issuesOf(await failure((async () => loadEmailDefinition(broken))())).join()).toMatch(
      /^: not JSON: /,
    );
    expect(
      issuesOf(await failure((async () => loadEmailDefinition(join(dir, 'none.json')))())),
    ).toEqual([`: ${join(dir, 'none.json')} does not exist`]);
  });

  it('the start fails on what the provider lacks: template ids, template files, secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-email-'));
    const write = (name: string, json: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(json));
      return join(dir, name);
    };
    const configurations = (provider: string) => [
      { provider, sourceEmail: 's@x.test', errorReportingEmail: 'e@x.test' },
    ];
    const start = async (config: string, env: Record<string, string> = {}) => {
      const app = new Application(new EmailTransmitter({ config, queue: 'q', env }), {
        providers: [provide(Broker, { value: {} as Broker })],
        logger: createLogger({ level: 'silent' }),
      });
      const error = await failure(app.start());
      return issuesOf((error as Error & { cause: Error }).cause ?? error);
    };
    const mailjet = write('mailjet.json', {
      configurations: configurations('mailjet'),
      events: { A: { subject: 'a' }, B: { subject: 'b', id: { mailjet: 1 } } },
    });
    expect(await start(mailjet)).toEqual([
      'configurations[0].provider: Mailjet needs its API key: set MAILJET_API_KEY',
      'configurations[0].provider: Mailjet needs its API secret: set MAILJET_API_SECRET',
    ]);
    expect(await start(mailjet, { MAILJET_API_KEY: 'k', MAILJET_API_SECRET: 's' })).toEqual([
      'events.A.id.mailjet: Mailjet needs the template id',
    ]);
    const smtp = write('smtp.json', {
      configurations: configurations('smtp'),
      events: { A: { subject: 'a', templateName: 'welcome' }, B: { subject: 'b' } },
    });
    expect(await start(smtp)).toEqual([
      'configurations[0].host: SMTP needs a server: set host here or SMTP_HOST',
    ]);
    expect(await start(smtp, { SMTP_HOST: 'localhost' })).toEqual([
      `events.A.templateName: the template file ${join(dir, 'welcome.html')} does not exist`,
      'events.B.templateName: smtp needs a template file: give templateName or id.smtp',
    ]);
    const ses = write('ses.json', { configurations: configurations('ses'), events: {} });
    expect(await start(ses)).toEqual([
      'configurations[0].region: Amazon SES needs a region: set region here or AWS_REGION',
      'configurations[0].provider: Amazon SES needs an access key: set AWS_ACCESS_KEY_ID',
      'configurations[0].provider: Amazon SES needs a secret key: set AWS_SECRET_ACCESS_KEY',
    ]);
  });
});

describe('renderTemplate', () => {
  it('fills {{var:name}} and Mailjet-style defaults, HTML-escaping values in HTML only', () => {
    const data = { name: 'Ada & <Bob>', count: 3, tags: ['a'] };
    const template = '{{var:name}} {{ var:count }} {{var:tags}} {{var:missing:"none \\"here\\""}}';
    expect(renderTemplate(template, data, { html: false, what: 't' })).toBe(
      'Ada & <Bob> 3 ["a"] none "here"',
    );
    expect(renderTemplate(template, data, { html: true, what: 't' })).toBe(
      'Ada &amp; &lt;Bob&gt; 3 [&quot;a&quot;] none &quot;here&quot;',
    );
  });

  it('a variable without a value is EMAIL_VARIABLE_MISSING naming all of them, not the values', async () => {
    const error = await failure(
      (async () =>
        renderTemplate(
          '{{var:a}} {{var:b}} {{var:c}}',
          { b: 'secret-value', c: null },
          {
            html: false,
            what: 'USER_CREATED subject',
          },
        ))(),
    );
    expect(error.code).toBe('EMAIL_VARIABLE_MISSING');
    expect(error.message).toBe("USER_CREATED subject: no value for a, c in the message's data");
  });
});
