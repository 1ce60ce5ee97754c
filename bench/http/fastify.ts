// Bare Fastify: the same endpoint by hand — zod parsing of params and query, the two
// per-request objects built in the handler, the envelope written out.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import * as z from 'zod';
import {
  announce,
  RequestContext,
  stopOnSignal,
  USER_NOT_FOUND,
  UserReader,
  UserStore,
} from './shared.js';

const Params = z.object({ id: z.uuid() });
const Query = z.object({
  detailed: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
});

const store = new UserStore();
const app = Fastify();
app.get('/users/:id', async (request, reply) => {
  const params = Params.safeParse(request.params);
  const query = Query.safeParse(request.query);
  if (!params.success || !query.success) {
    return reply.code(400).send({
      success: false,
      data: null,
      error: { message: 'Invalid request', code: 'INVALID_REQUEST', details: [] },
    });
  }
  const context = new RequestContext(String(request.headers['x-caller'] ?? 'anonymous'));
  const reader = new UserReader(store, context);
  const user = reader.get(params.data.id, query.data.detailed);
  if (user === undefined) {
    return reply.code(404).send(USER_NOT_FOUND);
  }
  return { success: true, data: user, error: null };
});
await app.listen({ host: '127.0.0.1', port: 0 });
announce((app.server.address() as AddressInfo).port);
stopOnSignal(() => app.close());
