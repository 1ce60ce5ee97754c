// Start-up failures of a single server say why in the top message: database, host, user and
// the reason (SQLSTATE or socket error, or a timeout), never the password.
import { createServer, type Server, type Socket } from 'node:net';
import { DependencyUnavailableError, StartupError } from 'libretto';
import { startPostgres, type TestPostgres } from 'libretto/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePassword } from './password-auth.js';
import { startService } from './service-harness.js';

const PASSWORD = 'r1ght-s3cret';
const WRONG = 'wr0ng-s3cret';

let server: TestPostgres;
/** Accepts connections and never answers (a frozen server, a black-holed port). */
let silent: Server;
const sockets: Socket[] = [];
/** A port nothing listens on. */
let closedPort: number;

const dsn = (credentials: string, database: string, port = server.port) =>
  `postgresql://${credentials}@127.0.0.1:${port}/${database}`;

beforeAll(async () => {
  server = await startPostgres();
  await requirePassword(server, 'app', PASSWORD);
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => silent?.close(r));
  await server?.stop();
});

/** Starts a service on `url`; returns the start-up error. */
async function failure(url: string, acquireTimeout?: number): Promise<StartupError> {
  const error = await startService({
    dsn: url,
    ...(acquireTimeout === undefined ? {} : { acquireTimeout }),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StartupError);
  const cause = (error as StartupError).cause;
  expect(cause).toBeInstanceOf(DependencyUnavailableError);
  expect(cause).toMatchObject({ code: 'DATABASE_CONNECT_FAILED' });
  const text = `${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)} ${JSON.stringify(cause)}`;
  expect(text).not.toContain(WRONG);
  expect(text).not.toContain(PASSWORD);
  return error as StartupError;
}

describe('a start-up that cannot connect says why', () => {
  it('a wrong password: SQLSTATE 28P01', async () => {
    const error = await failure(dsn(`app:${WRONG}`, 'postgres'));
    expect(error.message).toBe(
      `Service PostgresService failed to start: Cannot connect to database "postgres" at 127.0.0.1:${server.port} as user "app": password authentication failed for user "app" (SQLSTATE 28P01)`,
    );
  });

  it('a database that does not exist: SQLSTATE 3D000', async () => {
    const error = await failure(dsn('postgres', 'nope'));
    expect(error.message).toBe(
      `Service PostgresService failed to start: Cannot connect to database "nope" at 127.0.0.1:${server.port} as user "postgres": database "nope" does not exist (SQLSTATE 3D000)`,
    );
  });

  it('a user that does not exist: SQLSTATE 28000', async () => {
    const error = await failure(dsn(`nobody:${WRONG}`, 'postgres'));
    expect(error.message).toBe(
      `Service PostgresService failed to start: Cannot connect to database "postgres" at 127.0.0.1:${server.port} as user "nobody": role "nobody" does not exist (SQLSTATE 28000)`,
    );
  });

  it('nothing listening: ECONNREFUSED', async () => {
    const error = await failure(dsn(`app:${WRONG}`, 'postgres', closedPort));
    expect(error.message).toBe(
      `Service PostgresService failed to start: Cannot connect to database "postgres" at 127.0.0.1:${closedPort} as user "app": connection refused (ECONNREFUSED)`,
    );
  });

  it('a server that never answers: a timeout after the acquire timeout', async () => {
    const port = (silent.address() as { port: number }).port;
    const error = await failure(dsn(`app:${WRONG}`, 'postgres', port), 0.3);
    expect(error.message).toBe(
      `Service PostgresService failed to start: Cannot connect to database "postgres" at 127.0.0.1:${port} as user "app": no answer within 300 ms (timeout)`,
    );
  });

  it('the right password connects', async () => {
    const { app, db } = await startService({ dsn: dsn(`app:${PASSWORD}`, 'postgres') });
    try {
      expect(await db.fetchVal('SELECT current_user')).toBe('app');
    } finally {
      await app.stop();
    }
  });
});
