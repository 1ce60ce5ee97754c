// A contract test of the Amazon SES provider: a local HTTP server checks the request SES API
// v2 SendEmail documents (POST /v2/email/outbound-emails, JSON body, Signature Version 4 for
// the service `ses`) and answers as SES does, errors included (`x-amzn-ErrorType`). Not a
// test against AWS. The signing itself is checked against AWS's published example.
import { SesProvider, signAwsRequest } from 'libretto/email';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../failure.js';
import { ApiStub } from './api-stub.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

let stub: ApiStub;
let ses: SesProvider;
beforeAll(async () => {
  stub = await ApiStub.start();
  ses = new SesProvider({ region: 'eu-west-1', credentials, endpoint: stub.url, timeout: 2000 });
});
afterAll(() => stub?.close());

const base = { from: 'Acme <system@acme.test>', to: ['ada@example.test'], event: 'USER_CREATED' };

describe('signAwsRequest', () => {
  it("gives the signature of AWS's Signature Version 4 example (IAM ListUsers)", () => {
    const headers = signAwsRequest({
      method: 'GET',
      url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      region: 'us-east-1',
      service: 'iam',
      credentials,
      date: new Date('2015-08-30T12:36:00Z'),
    });
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });
});

describe('SesProvider (contract test against a local stand-in for SES API v2)', () => {
  it('sends an SES template with the data as TemplateData, signed for ses', async () => {
    stub.answer(200, { MessageId: '0100018f-aaaa-bbbb-cccc-000000000000-000000' });
    const id = await ses.send({
      ...base,
      subject: 'unused: the SES template has its subject',
      template: { id: 'Welcome', variables: { recipient_name: 'Ada' } },
    });
    expect(id).toBe('0100018f-aaaa-bbbb-cccc-000000000000-000000');
    const request = stub.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v2/email/outbound-emails');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    const day = String(request?.headers['x-amz-date']).slice(0, 8);
    expect(request?.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${day}/eu-west-1/ses/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$`,
      ),
    );
    expect(stub.lastJson()).toEqual({
      FromEmailAddress: 'Acme <system@acme.test>',
      Destination: { ToAddresses: ['ada@example.test'] },
      Content: {
        Template: { TemplateName: 'Welcome', TemplateData: '{"recipient_name":"Ada"}' },
      },
    });
  });

  it('sends a rendered email as Simple content; temporary keys add x-amz-security-token', async () => {
    const temporary = new SesProvider({
      region: 'eu-west-1',
      credentials: () => ({ ...credentials, sessionToken: 'session-token-value' }),
      endpoint: stub.url,
    });
    stub.answer(200, { MessageId: 'm-2' });
    await temporary.send({ ...base, subject: 'Welcome Ada', html: '<p>Hi</p>', text: 'Hi' });
    const request = stub.requests.at(-1);
    expect(request?.headers['x-amz-security-token']).toBe('session-token-value');
    expect(request?.headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,',
    );
    expect(stub.lastJson()).toEqual({
      FromEmailAddress: 'Acme <system@acme.test>',
      Destination: { ToAddresses: ['ada@example.test'] },
      Content: {
        Simple: {
          Subject: { Data: 'Welcome Ada', Charset: 'UTF-8' },
          Body: {
            Html: { Data: '<p>Hi</p>', Charset: 'UTF-8' },
            Text: { Data: 'Hi', Charset: 'UTF-8' },
          },
        },
      },
    });
  });

  it('MessageRejected (400) is EMAIL_SEND_REJECTED with the error type and message', async () => {
    stub.answer(
      400,
      {
        message:
          'Email address is not verified. The following identities failed the check in region EU-WEST-1: system@acme.test',
      },
      {
        'x-amzn-ErrorType': 'MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/',
      },
    );
    const error = await failure(ses.send({ ...base, subject: 's', text: 't' }));
    expect(error.name).toBe('DependencyFailureError');
    expect(error.code).toBe('EMAIL_SEND_REJECTED');
    expect(error.message).toBe(
      `Amazon SES at ${new URL(stub.url).host} refused the USER_CREATED email (400): MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: system@acme.test`,
    );
  });

  it('a refused signature (403) names the error type and never the secret key', async () => {
    stub.answer(
      403,
      { message: 'The request signature we calculated does not match the signature you provided.' },
      { 'x-amzn-ErrorType': 'SignatureDoesNotMatch' },
    );
    const error = await failure(ses.send({ ...base, subject: 's', text: 't' }));
    expect(error.code).toBe('EMAIL_SEND_REJECTED');
    expect(error.message).toContain('(403): SignatureDoesNotMatch: The request signature');
    expect(JSON.stringify({ m: error.message, d: error.details })).not.toContain(
      credentials.secretAccessKey,
    );
  });

  it('TooManyRequestsException (429) is throttled; InternalFailure (500) unavailable', async () => {
    stub.answer(
      429,
      { message: 'Too Many Requests' },
      { 'x-amzn-ErrorType': 'TooManyRequestsException' },
    );
    const throttled = await failure(ses.send({ ...base, subject: 's', text: 't' }));
    expect(throttled.name).toBe('DependencyThrottledError');
    expect(throttled.message).toContain('TooManyRequestsException');
    stub.answer(500, { message: 'Internal failure' }, { 'x-amzn-ErrorType': 'InternalFailure' });
    const down = await failure(ses.send({ ...base, subject: 's', text: 't' }));
    expect(down.code).toBe('EMAIL_PROVIDER_UNAVAILABLE');
  });
});
