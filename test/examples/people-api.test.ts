import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample } from './example-app.js';

// The README walkthrough, request for request, against the example as `npm start` runs it.
let example: Awaited<ReturnType<typeof startExample>> | undefined;
let base: string;

beforeAll(async () => {
  example = await startExample();
  base = example.base;
});
afterAll(() => example?.stop());

interface Envelope<T = Record<string, unknown>> {
  success: boolean;
  data: T;
  error: { code: string; message: string; details: unknown[] } | null;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Envelope<T> }> {
  const response = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Envelope<T> };
}

describe('the example People API (README walkthrough)', () => {
  it('creates, updates with optimistic locking, searches, relates, keeps history, deletes', async () => {
    const org = await call('POST', '/organizations', { name: 'Analytical Engines', country: 'GB' });
    expect(org.status).toBe(201);
    const orgId = org.body.data.entityId as string;

    const ada = await call(
      'POST',
      '/people',
      { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', organizationId: orgId },
      { 'x-caller': 'charles' },
    );
    expect(ada.status).toBe(201);
    expect(ada.body.data.changedById).toBe('charles');
    const id = ada.body.data.entityId as string;
    const v1 = ada.body.data.version as string;

    const person = { firstName: 'Ada', email: 'ada@example.com', organizationId: orgId };
    const renamed = await call('PUT', `/people/${id}`, {
      ...person,
      lastName: 'King',
      version: v1,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data.previousVersion).toBe(v1);
    const stale = await call('PUT', `/people/${id}`, { ...person, lastName: 'Byron', version: v1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe('CONFLICT');
    const twin = await call('POST', '/people', {
      firstName: 'Augusta',
      lastName: 'King',
      email: 'ada@example.com',
    });
    expect([twin.status, twin.body.error?.code]).toEqual([409, 'DUPLICATE_RESOURCE']);
    const orphan = await call('POST', '/people', {
      firstName: 'Grace',
      lastName: 'Hopper',
      email: 'grace@example.com',
      organizationId: '5f0c6a43-3f8e-4c47-9d51-0b7f4a1e2c9d',
    });
    expect([orphan.status, orphan.body.error?.code]).toEqual([422, 'UNPROCESSABLE_ENTITY']);

    const found = await call<{ items: { lastName: string }[]; total: number }>(
      'GET',
      '/people?q=kin&sort=-createdAt&page=1&pageSize=10',
    );
    expect(found.body.data.total).toBe(1);
    expect(found.body.data.items[0]?.lastName).toBe('King');

    const withOrg = await call<{ organization: { name: string } }>(
      'GET',
      `/people/${id}?organization=true`,
    );
    expect(withOrg.body.data.organization.name).toBe('Analytical Engines');
    const withMembers = await call<{ members: { entityId: string }[] }>(
      'GET',
      `/organizations/${orgId}?members=true`,
    );
    expect(withMembers.body.data.members.map((m) => m.entityId)).toEqual([id]);

    const history = await call<{ lastName: string }[]>('GET', `/people/${id}/history`);
    expect(history.body.data.map((h) => h.lastName)).toEqual(['Lovelace', 'King']);

    const deleted = await call('DELETE', `/people/${id}`);
    expect(deleted.body.data.active).toBe(false);
    expect((await call('GET', `/people/${id}`)).status).toBe(404);
    expect((await call<unknown[]>('GET', `/people/${id}/history`)).body.data).toHaveLength(3);

    const bad = await call('GET', '/people?sort=name');
    expect(bad.status).toBe(400);
    expect((await call('GET', '/people/not-a-uuid')).status).toBe(400);
  });
});

describe('the constraints the example declares', () => {
  it('refuses a person of no organization with 422 and a second person of one email with 409', async () => {
    const unknown = crypto.randomUUID();
    const orphan = await call('POST', '/people', {
      firstName: 'Grace',
      lastName: 'Hopper',
      email: 'grace@example.com',
      organizationId: unknown,
    });
    expect(orphan.status).toBe(422);
    expect(orphan.body.error).toEqual({
      code: 'UNPROCESSABLE_ENTITY',
      message: 'person.organization: no organization has the organizationId given',
      details: [
        {
          path: 'organizationId',
          relation: 'organization',
          resource: 'organization',
          message: 'not found',
        },
      ],
    });
    const searched = await call<{ total: number }>('GET', `/people?organizationId=${unknown}`);
    expect(searched.body.data.total).toBe(0);

    const grace = { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' };
    expect((await call('POST', '/people', grace)).status).toBe(201);
    const twin = await call('POST', '/people', { ...grace, firstName: 'Amazing' });
    expect(twin.status).toBe(409);
    expect(twin.body.error).toEqual({
      code: 'DUPLICATE_RESOURCE',
      message: 'A person with this email already exists',
      details: [{ path: 'email', message: 'already taken', resource: 'person' }],
    });
    const found = await call<{ items: { firstName: string }[] }>('GET', '/people?q=hopper');
    expect(found.body.data.items.map((p) => p.firstName)).toEqual(['Grace']);
  });
});
