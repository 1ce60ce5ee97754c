// Fastify in its fastest idiomatic form: JSON Schema for params and query (validated and
// coerced by Fastify's ajv) and a response schema (serialized by fast-json-stringify); the
// two per-request objects built in the handler, the envelope written out.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import {
  announce,
  RequestContext,
  stopOnSignal,
  USER_NOT_FOUND,
  UserReader,
  UserStore,
} from './shared.js';

const envelope = (data: object) => ({
  type: 'object',
  properties: { success: { type: 'boolean' }, data, error: { type: 'null' } },
});
const failure = envelope({ type: 'null' });
failure.properties.error = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    code: { type: 'string' },
    details: { type: 'array' },
  },
} as never;

const store = new UserStore();
const app = Fastify();
app.get<{ Params: { id: string }; Querystring: { detailed: boolean } }>(
  '/users/:id',
  {
    schema: {
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', format: 'uuid' } },
      },
      querystring: {
        type: 'object',
        properties: { detailed: { type: 'boolean', default: false } },
      },
      response: {
        200: envelope({
          type: 'object',
          required: ['id', 'name', 'email'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            email: { type: 'string' },
            createdAt: { type: 'string' },
          },
        }),
        404: failure,
      },
    },
  },
  async (request, reply) => {
    const context = new RequestContext(String(request.headers['x-caller'] ?? 'anonymous'));
    const reader = new UserReader(store, context);
    const user = reader.get(request.params.id, request.query.detailed);
    if (user === undefined) {
      return reply.code(404).send(USER_NOT_FOUND);
    }
    return { success: true, data: user, error: null };
  },
);
await app.listen({ host: '127.0.0.1', port: 0 });
announce((app.server.address() as AddressInfo).port);
stopOnSignal(() => app.close());
