import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample } from './example-app.js';
import { clientFrom, type Document } from './openapi-client.js';

// The example as a client sees it: a client generated from the document the example serves
// calls every operation, and every answer — status, headers, body — must be one the document
// describes.
let example: Awaited<ReturnType<typeof startExample>> | undefined;
let client: ReturnType<typeof clientFrom>;

beforeAll(async () => {
  example = await startExample();
  const served = await fetch(new URL('/static/openapi/openapi.json', example.base));
  client = clientFrom((await served.json()) as Document, example.base);
});
afterAll(() => example?.stop());

const missing = '00000000-0000-4000-8000-000000000000';

describe('the example against its own OpenAPI document', () => {
  it('answers every operation with a status, headers and body the document describes', async () => {
    const { call } = client;
    const caller = { 'x-caller': 'charles' };
    expect((await call('whoAmI', { headers: caller })).body.data).toEqual({ name: 'charles' });

    const org = await call('createOrganization', {
      headers: caller,
      body: { name: 'Analytical Engines', country: 'GB' },
    });
    expect(org.status).toBe(201);
    expect(org.headers.get('location')).toBe(`/organizations/${org.body.data.entityId}`);
    const orgId = String(org.body.data.entityId);
    expect((await call('createOrganization', { body: { name: '' } })).status).toBe(422);

    const ada = await call('createPerson', {
      headers: caller,
      body: {
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: 'ada@example.com',
        organizationId: orgId,
      },
    });
    expect(ada.status).toBe(201);
    const id = String(ada.body.data.entityId);
    expect((await call('createPerson', { body: '{"firstName":' })).status).toBe(422);

    const withOrg = await call('getPerson', { params: { id }, query: { organization: true } });
    expect(withOrg.body.data.organization).toMatchObject({ entityId: orgId });
    expect((await call('getPerson', { params: { id: missing } })).status).toBe(404);
    expect((await call('getPerson', { params: { id: 'not-a-uuid' } })).status).toBe(400);

    const members = await call('getOrganization', {
      params: { id: orgId },
      query: { members: true },
    });
    expect(members.body.data.members).toHaveLength(1);
    expect((await call('getOrganization', { params: { id: missing } })).status).toBe(404);

    const found = await call('searchPeople', { query: { q: 'love', pageSize: 10 } });
    expect(found.body.data).toMatchObject({ total: 1 });
    expect((await call('searchPeople', { query: { sort: 'name' } })).status).toBe(400);

    const version = String(ada.body.data.version);
    const update = { firstName: 'Ada', lastName: 'King', email: 'ada@example.com', version };
    const renamed = await call('updatePerson', { params: { id }, headers: caller, body: update });
    expect(renamed.body.data).toMatchObject({ lastName: 'King', previousVersion: version });
    const stale = await call('updatePerson', { params: { id }, body: update });
    expect(stale.status).toBe(409);
    expect((await call('updatePerson', { params: { id: missing }, body: update })).status).toBe(
      404,
    );

    const history = await call('personHistory', { params: { id } });
    expect(history.body.data).toHaveLength(2);
    expect((await call('personHistory', { params: { id: missing } })).status).toBe(404);

    expect((await call('deletePerson', { params: { id }, headers: caller })).status).toBe(200);
    expect((await call('deletePerson', { params: { id } })).status).toBe(404);

    expect(client.uncalled()).toEqual([]);
  });

  it('documents the X-Caller header wherever the caller is read', async () => {
    await expect(client.call('whoAmI', { headers: { 'x-caller': 'ada' } })).resolves.toBeDefined();
    // A header the operation does not declare is refused by the generated client.
    await expect(client.call('searchPeople', { headers: { 'x-caller': 'ada' } })).rejects.toThrow(
      'searchPeople: the document declares no header parameter x-caller',
    );
  });
});
