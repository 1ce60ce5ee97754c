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
  error: { code: string } | null;
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
