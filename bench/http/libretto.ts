// Libretto: a declarative route; params and query validated and coerced from the schemas;
// two request-scoped dependencies from DI; the envelope added by the framework.
import { Application, NotFoundError, provide, provideClass } from 'libretto';
import { HttpRequest, HttpService, route } from 'libretto/http';
import * as z from 'zod';
import { announce, RequestContext, stopOnSignal, UserReader, UserStore } from './shared.js';

const User = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  createdAt: z.string().optional(),
});

const http = new HttpService({
  address: '127.0.0.1',
  port: 0,
  docsDefaultType: null,
  routes: [
    route.get(
      '/users/:id',
      {
        params: z.object({ id: z.uuid() }),
        query: z.object({ detailed: z.boolean().default(false) }),
        response: User,
        inject: { reader: UserReader },
      },
      ({ params, query, reader }) => {
        const user = reader.get(params.id, query.detailed);
        if (user === undefined) throw new NotFoundError('User not found');
        return user;
      },
    ),
  ],
});

const app = new Application(http, {
  providers: [
    provide(UserStore, { value: new UserStore() }),
    provide(RequestContext, {
      deps: [HttpRequest],
      use: (request) => new RequestContext(String(request.headers['x-caller'] ?? 'anonymous')),
      lifetime: 'request',
    }),
    provideClass(UserReader, [UserStore, RequestContext], { lifetime: 'request' }),
  ],
});
await app.start();
announce(Number(new URL(http.url).port));
stopOnSignal(() => app.stop());
