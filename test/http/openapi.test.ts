import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApi, HTTP_DEFAULTS, route } from 'libretto/http';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { startHttp } from './http-harness.js';

const Address = z.object({ city: z.string() }).meta({ id: 'Address' });
const User = z
  .object({ id: z.uuid(), name: z.string().describe('Full name'), address: Address.optional() })
  .meta({ id: 'User', description: 'A user' });

const routes = [
  route.get(
    '/v1/users/:id',
    {
      params: z.object({ id: z.uuid() }),
      query: z.object({
        detailed: z.boolean().default(false),
        fields: z.array(z.string()).optional(),
      }),
      response: User,
      tags: ['users'],
      summary: 'Get a user',
      operationId: 'getUser',
      errors: [404],
    },
    () => ({ id: '00000000-0000-4000-8000-000000000000', name: 'x' }),
  ),
  route.post(
    '/v1/users',
    {
      body: User.omit({ id: true }),
      response: User,
      status: 201,
      tags: ['users'],
      deprecated: true,
    },
    () => ({ id: '00000000-0000-4000-8000-000000000000', name: 'x' }),
  ),
  route.delete('/v1/users/:id', { status: 204, tags: ['admin'] }, () => undefined),
];

const server = await startHttp(routes, {
  http: {
    docsTitle: 'People API',
    docsServers: ['https://api.example.com/v1'],
    docsRemovePathPrefix: '/v1',
    docsTagDescriptions: { users: 'Operations with users' },
    docsTagGroups: { Management: ['users', 'admin'] },
    docsVersion: '2.3.0',
  },
});
afterAll(() => server.stop());

describe('OpenAPI document', () => {
  it('passes a real OpenAPI 3.1 validator', async () => {
    const result = await new Validator().validate(
      structuredClone(server.http.openapi) as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('is served as JSON and YAML under the static prefix, with the same content', async () => {
    const json = await (await server.fetch('/static/openapi/openapi.json')).json();
    const yamlResponse = await server.fetch('/static/openapi/openapi.yaml');
    expect(yamlResponse.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(parseYaml(await yamlResponse.text())).toEqual(json);
    expect(json).toEqual(JSON.parse(JSON.stringify(server.http.openapi)));
  });

  it('has info, servers, tags with descriptions and x-tagGroups', () => {
    const doc = server.http.openapi;
    expect(doc.info).toEqual({ title: 'People API', version: '2.3.0' });
    expect(doc.servers).toEqual([{ url: 'https://api.example.com/v1' }]);
    expect(doc.tags).toEqual([
      { name: 'users', description: 'Operations with users' },
      { name: 'admin' },
    ]);
    expect(doc['x-tagGroups']).toEqual([{ name: 'Management', tags: ['users', 'admin'] }]);
  });

  it('keeps untagged and ungrouped operations visible when tag groups are set', () => {
    const doc = buildOpenApi(
      [
        route.get('/a', { tags: ['grouped'] }, () => 1),
        route.get('/b', { tags: ['loose'] }, () => 2),
        route.get('/c', {}, () => 3),
      ],
      { ...HTTP_DEFAULTS, docsTagGroups: { Main: ['grouped'] } },
    );
    expect(doc.paths['/c']?.get).toMatchObject({ tags: ['default'] });
    expect(doc['x-tagGroups']).toEqual([
      { name: 'Main', tags: ['grouped'] },
      { name: 'Other', tags: ['loose', 'default'] },
    ]);
    const ungroupedDoc = buildOpenApi([route.get('/c', {}, () => 3)], HTTP_DEFAULTS);
    expect(ungroupedDoc.paths['/c']?.get).not.toHaveProperty('tags');
    expect(ungroupedDoc).not.toHaveProperty('x-tagGroups');
  });

  it('removes the path prefix and converts path parameters', () => {
    const paths = Object.keys(server.http.openapi.paths);
    expect(paths.sort()).toEqual(['/users', '/users/{id}']);
  });

  it('describes parameters, named schemas as components, the envelope and error responses', () => {
    const doc = server.http.openapi;
    const get = doc.paths['/users/{id}']?.get as Record<string, unknown>;
    expect(get.operationId).toBe('getUser');
    expect(get.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
      expect.objectContaining({ name: 'detailed', in: 'query', required: false }),
      expect.objectContaining({ name: 'fields', in: 'query', required: false }),
    ]);
    const ok = (get.responses as Record<string, { content: Record<string, { schema: unknown }> }>)[
      '200'
    ];
    expect(ok?.content['application/json']?.schema).toEqual({
      type: 'object',
      required: ['success', 'data', 'error'],
      properties: {
        success: { const: true },
        data: { $ref: '#/components/schemas/User' },
        error: { type: 'null' },
      },
    });
    expect(Object.keys(get.responses as object).sort()).toEqual(['200', '400', '404', '500']);
    expect(doc.components.schemas.User).toMatchObject({ description: 'A user', type: 'object' });
    expect(doc.components.schemas.Address).toBeDefined();
    expect(doc.components.schemas.ErrorResponse).toBeDefined();

    const post = doc.paths['/users']?.post as Record<string, unknown>;
    expect(post.deprecated).toBe(true);
    expect(Object.keys(post.responses as object).sort()).toEqual([
      '201',
      '400',
      '413',
      '415',
      '422',
      '500',
    ]);
    expect(post.requestBody).toMatchObject({ required: true });
    const del = doc.paths['/users/{id}']?.delete as Record<string, unknown>;
    const requestId = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };
    expect((del.responses as Record<string, unknown>)['204']).toEqual({
      description: 'No content',
      headers: requestId,
    });
  });

  it('lists every status a route declares, and the headers every answer carries', () => {
    const doc = buildOpenApi(
      [
        route.put(
          '/things/:id',
          { response: z.object({ id: z.string() }), status: [200, 201] },
          () => ({ id: 'a' }),
        ),
        route.post('/jobs', { status: [202, 204] }, () => undefined),
      ],
      HTTP_DEFAULTS,
    );
    const put = doc.paths['/things/{id}']?.put?.responses as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(put).sort()).toEqual(['200', '201', '500']);
    expect(put['201']?.headers).toEqual({
      'X-Request-Id': { $ref: '#/components/headers/RequestId' },
      Location: { description: 'The created resource', schema: { type: 'string' } },
    });
    expect(put['200']?.content).toEqual(put['201']?.content);
    for (const answer of Object.values(put)) expect(answer.headers).toHaveProperty('X-Request-Id');
    const jobs = doc.paths['/jobs']?.post?.responses as Record<string, Record<string, unknown>>;
    expect(Object.keys(jobs).sort()).toEqual(['202', '204', '500']);
    expect(jobs['204']).not.toHaveProperty('content');
    expect(doc.components.headers.RequestId).toMatchObject({ schema: { type: 'string' } });
  });

  it('documents dates and bigints as they are sent', () => {
    const doc = buildOpenApi(
      [
        route.get('/t', { response: z.object({ at: z.date(), n: z.bigint() }) }, () => ({
          at: new Date(),
          n: 1n,
        })),
      ],
      HTTP_DEFAULTS,
    );
    const ok = doc.paths['/t']?.get?.responses as Record<string, Record<string, unknown>>;
    expect(JSON.stringify(ok['200'])).toContain(
      '"properties":{"at":{"type":"string","format":"date-time"},"n":{"type":"integer","format":"int64"}}',
    );
  });
});
