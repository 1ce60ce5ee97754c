import {
  Application,
  DependencyGraphError,
  type Provider,
  provide,
  Service,
  StartupError,
  token,
} from 'libretto';
import { HttpService, type Route, route } from 'libretto/http';
import { Database } from 'libretto/postgres';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { capturedLogger } from '../core/log-capture.js';

class UserRepository {
  constructor(readonly db: Database) {}
}
const Users = token<UserRepository>('UserRepository');
const Clock = token<{ now: () => string }>('Clock');

const getUser = route.get(
  '/users/:id',
  { params: z.object({ id: z.string() }), inject: { users: Users } },
  ({ params }) => ({ id: params.id }),
);
const now = route.get('/now', { inject: { clock: Clock } }, ({ clock }) => ({ now: clock.now() }));

/** Starts an application of `services` and an HttpService of `routes`; its start error, if any. */
async function startError(routes: Route[], services: Service[] = [], providers: Provider[] = []) {
  const http = new HttpService({ address: '127.0.0.1', port: 0, routes });
  const app = new Application(...services, http, { providers, logger: capturedLogger().logger });
  const error = await app.start().catch((e: unknown) => e);
  return { app, http, error };
}

describe('route injections are checked at start (issue 13.3)', () => {
  it('a missing provider behind an injection stops the start, naming the route in the chain', async () => {
    const { app, http, error } = await startError(
      [getUser],
      [],
      [provide(Users, { deps: [Database], use: (db) => new UserRepository(db) })],
    );
    expect(error).toBeInstanceOf(StartupError);
    const cause = (error as StartupError).cause as DependencyGraphError;
    expect(cause).toBeInstanceOf(DependencyGraphError);
    expect(cause.problems).toEqual([
      {
        kind: 'missing',
        dependency: 'Database',
        chain: ['GET /users/:id', 'inject.users', 'UserRepository', 'Database'],
        hint: 'PostgresService from libretto/postgres, or MysqlService from libretto/mysql',
        message:
          'missing provider for Database: GET /users/:id -> inject.users -> UserRepository -> Database (provided by PostgresService from libretto/postgres, or MysqlService from libretto/mysql)',
      },
    ]);
    expect(app.state).toBe('stopped');
    expect(() => http.url).toThrow('not listening');
  });

  it('an injected token with no provider at all stops the start', async () => {
    const { error } = await startError([getUser, now]);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toContain(
      'missing provider for UserRepository: GET /users/:id -> inject.users -> UserRepository',
    );
    expect((error as Error).message).toContain(
      'missing provider for Clock: GET /now -> inject.clock -> Clock',
    );
  });

  it('the message is the one any other missing provider gets', async () => {
    const Report = token<string>('Report');
    const { error } = await startError(
      [],
      [],
      [provide(Report, { deps: [Database], use: () => 'report' })],
    );
    expect((error as Error).message).toContain(
      'missing provider for Database: Report -> Database (provided by PostgresService from libretto/postgres, or MysqlService from libretto/mysql)',
    );
  });

  it('starts and serves once a service provides the token', async () => {
    class Clocks extends Service {
      override providers() {
        return [provide(Clock, { value: { now: () => '12:00' } })];
      }
    }
    const { app, http, error } = await startError([now], [new Clocks()]);
    expect(error).toBeUndefined();
    try {
      const response = await fetch(`${http.url}/now`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ success: true, data: { now: '12:00' } });
    } finally {
      await app.stop();
    }
  });

  it('starts once the application provides the token', async () => {
    const { app, error } = await startError(
      [now],
      [],
      [provide(Clock, { value: { now: () => '13:00' } })],
    );
    expect(error).toBeUndefined();
    await app.stop();
  });
});
