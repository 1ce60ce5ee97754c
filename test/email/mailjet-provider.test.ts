// A contract test of the Mailjet provider: a local HTTP server checks the requests Mailjet's
// Send API v3.1 documents (POST /v3.1/send, basic auth with the API key and secret, the
// Messages body with TemplateID, TemplateLanguage and Variables) and answers with the
// answers it documents, errors included. Not a test against Mailjet itself. Also the seed's
// config.json sending through it end to end over the RabbitMQ on :5672.
import { fileURLToPath } from 'node:url';
import { Application, createLogger, provide } from 'libretto';
import { EmailTransmitter, MailjetProvider } from 'libretto/email';
import { Broker, type RabbitMqBroker } from 'libretto/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../failure.js';
import {
  RabbitMqBroker as Broker_,
  eventually,
  QueueInspector,
  rabbitAvailable,
  testSettings,
  uniquePrefix,
} from '../messaging/rabbitmq.js';
import { ApiStub } from './api-stub.js';

const KEY = 'mj-public-key';
const SECRET = 'mj-private-s3cret';
const BASIC = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`;

let stub: ApiStub;
let mailjet: MailjetProvider;
beforeAll(async () => {
  stub = await ApiStub.start();
  mailjet = new MailjetProvider({
    apiKey: KEY,
    apiSecret: SECRET,
    endpoint: stub.url,
    timeout: 2000,
  });
});
afterAll(() => stub?.close());

const welcome = {
  from: 'EcorRouge <system@ecorrouge.com>',
  to: ['ada@example.test', 'Bob B <bob@example.test>'],
  subject: 'Welcome Ada',
  event: 'USER_CREATED',
  template: {
    id: 4777555,
    variables: { recipient_name: 'Ada', confirmation_link: 'https://x.test/c' },
  },
};

const success = (email: string, id: number) => ({
  Messages: [
    {
      Status: 'success',
      CustomID: '',
      To: [
        {
          Email: email,
          MessageUUID: '1ab23cd4-e567-8901-2345-6789f0gh1i2j',
          MessageID: id,
          MessageHref: `https://api.mailjet.com/v3/REST/message/${id}`,
        },
      ],
      Cc: [],
      Bcc: [],
    },
  ],
});

describe('MailjetProvider (contract test against a local stand-in for the Send API v3.1)', () => {
  it('sends the template with its variables as the Send API v3.1 documents', async () => {
    stub.answer(200, success('ada@example.test', 1234567));
    expect(await mailjet.send(welcome)).toBe('1234567');
    const request = stub.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v3.1/send');
    expect(request?.headers.authorization).toBe(BASIC);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(stub.lastJson()).toEqual({
      Messages: [
        {
          From: { Email: 'system@ecorrouge.com', Name: 'EcorRouge' },
          To: [{ Email: 'ada@example.test' }, { Email: 'bob@example.test', Name: 'Bob B' }],
          Subject: 'Welcome Ada',
          TemplateID: 4777555,
          TemplateLanguage: true,
          Variables: { recipient_name: 'Ada', confirmation_link: 'https://x.test/c' },
        },
      ],
    });
  });

  it('sends a failure report as a text part, without a template', async () => {
    stub.answer(200, success('ops@example.test', 7));
    await mailjet.send({
      from: 'system@x.test',
      to: ['ops@x.test'],
      subject: 'Email not sent',
      text: 'why',
    });
    expect(stub.lastJson()).toEqual({
      Messages: [
        {
          From: { Email: 'system@x.test' },
          To: [{ Email: 'ops@x.test' }],
          Subject: 'Email not sent',
          TextPart: 'why',
        },
      ],
    });
  });

  it('a message Mailjet refuses (400, Errors) is EMAIL_SEND_REJECTED with its code, message and field', async () => {
    stub.answer(400, {
      Messages: [
        {
          Status: 'error',
          Errors: [
            {
              ErrorIdentifier: '88b5ca9f-5f1f-42e7-a45e-9ecbad0c285e',
              ErrorCode: 'send-0003',
              StatusCode: 400,
              ErrorMessage: 'At least "HTMLPart", "TextPart" or "TemplateID" must be provided.',
              ErrorRelatedTo: ['HTMLPart', 'TextPart', 'TemplateID'],
            },
          ],
        },
      ],
    });
    const error = await failure(mailjet.send(welcome));
    expect(error.name).toBe('DependencyFailureError');
    expect(error.code).toBe('EMAIL_SEND_REJECTED');
    expect(error.message).toBe(
      `Mailjet at ${new URL(stub.url).host} refused the USER_CREATED email (400): send-0003 At least "HTMLPart", "TextPart" or "TemplateID" must be provided. (HTMLPart, TextPart, TemplateID)`,
    );
  });

  it('refused credentials (401) are EMAIL_SEND_REJECTED, without the key or secret', async () => {
    stub.answer(401, {
      ErrorIdentifier: 'ad7cf2b7-7a86-4a1b-8fcb-8e7ba4a7e3c6',
      StatusCode: 401,
      ErrorMessage:
        'API key authentication/authorization failure. You may be unauthorized to access the API or your API key may be expired. Visit API keys management section to check your keys.',
    });
    const error = await failure(mailjet.send(welcome));
    expect(error.code).toBe('EMAIL_SEND_REJECTED');
    expect(error.message).toContain('(401): API key authentication/authorization failure.');
    const everything = JSON.stringify({ m: error.message, d: error.details, s: error.stack });
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(BASIC.slice(6));
  });

  it('429 is DependencyThrottledError, 5xx and an unreachable API EMAIL_PROVIDER_UNAVAILABLE', async () => {
    stub.answer(429, { ErrorMessage: 'Too many requests', StatusCode: 429 });
    expect((await failure(mailjet.send(welcome))).name).toBe('DependencyThrottledError');
    stub.answer(503, undefined);
    const down = await failure(mailjet.send(welcome));
    expect(down.name).toBe('DependencyUnavailableError');
    expect(down.code).toBe('EMAIL_PROVIDER_UNAVAILABLE');
    const gone = await ApiStub.start();
    const endpoint = gone.url;
    await gone.close();
    const closed = new MailjetProvider({ apiKey: KEY, apiSecret: SECRET, endpoint });
    const refused = await failure(closed.send(welcome));
    expect(refused.code).toBe('EMAIL_PROVIDER_UNAVAILABLE');
    expect(refused.message).toBe(
      `Mailjet at ${new URL(endpoint).host} cannot be reached: ECONNREFUSED`,
    );
  });
});

const available = await rabbitAvailable();

describe.skipIf(!available)('the seed config.json through Mailjet, end to end', () => {
  const prefix = uniquePrefix('email-mailjet');
  let broker: RabbitMqBroker;
  let inspector: QueueInspector;
  let app: Application | undefined;
  beforeAll(async () => {
    broker = await Broker_.connect(testSettings({ queuePrefix: prefix }));
    inspector = await QueueInspector.open();
  });
  afterAll(async () => {
    await app?.stop();
    await broker?.close();
    await inspector?.close();
  });

  it('a rococo message on QUEUE_NAME_PREFIX + EmailServiceProcessor_QUEUE_NAME becomes a Send API call', async () => {
    inspector.track(`${prefix}email-transmitter`, `${prefix}email-transmitter.dead-letter`);
    const service = new EmailTransmitter({
      config: fileURLToPath(new URL('./fixtures/seed/config.json', import.meta.url)),
      env: {
        EmailServiceProcessor_QUEUE_NAME: 'email-transmitter',
        MAILJET_API_KEY: KEY,
        MAILJET_API_SECRET: SECRET,
        MAILJET_API_URL: stub.url,
      },
    });
    app = new Application(service, {
      providers: [provide(Broker, { value: broker })],
      logger: createLogger({ level: 'silent' }),
    });
    await app.start();
    expect(service.queue).toBe('email-transmitter');
    stub.answer(200, success('ada@example.test', 99));
    const before = stub.requests.length;
    await inspector.publishRaw(
      `${prefix}email-transmitter`,
      JSON.stringify({
        event: 'USER_CREATED',
        data: { confirmation_link: 'https://x.test/c', recipient_name: 'Ada' },
        to_emails: ['ada@example.test'],
      }),
    );
    await eventually(() => service.stats.sent === 1);
    expect(stub.requests.length).toBe(before + 1);
    expect(stub.lastJson()).toEqual({
      Messages: [
        {
          From: { Email: 'system@ecorrouge.com', Name: 'EcorRouge' },
          To: [{ Email: 'ada@example.test' }],
          Subject: 'Welcome Ada',
          TemplateID: 4777555,
          TemplateLanguage: true,
          Variables: { confirmation_link: 'https://x.test/c', recipient_name: 'Ada' },
        },
      ],
    });
  });
});
