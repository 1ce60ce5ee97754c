import { invalidOption } from '../errors/invalid-option.js';
import { MEMORY } from './embedded-server.js';
import { PgPool } from './pg-pool.js';
import { PglitePool } from './pglite-pool.js';
import type { PostgresBackend } from './postgres-backend.js';
import { serverConnection, serverPoolOptions } from './server-connection.js';

/** One PostgreSQL server through `pg` (built in). */
export const pgBackend: PostgresBackend<'pg'> = {
  name: 'pg',
  open(settings, context) {
    const connection = serverConnection(settings);
    if (connection.hosts.length > 1) {
      invalidOption(
        'PostgresService',
        'dsn',
        'has several hosts: use backend ha (or leave backend unset)',
      );
    }
    const { host, port, user, password, database } = connection;
    return PgPool.create({
      ...(host === undefined ? {} : { host }),
      ...(port === undefined ? {} : { port }),
      ...(user === undefined ? {} : { user }),
      ...(password === undefined ? {} : { password }),
      ...(database === undefined ? {} : { database }),
      ...serverPoolOptions(settings, connection, context),
    });
  },
};

/** PGlite, in this process (built in): in memory unless `dataDir` names a directory. */
export const pgliteBackend: PostgresBackend<'pglite'> = {
  name: 'pglite',
  open(settings) {
    return PglitePool.create({
      ...(settings.dataDir === undefined || settings.dataDir === MEMORY
        ? {}
        : { dataDir: settings.dataDir }),
      acquireTimeoutMs: settings.acquireTimeout * 1000,
    });
  },
};
