import { invalidOption } from '../../errors/invalid-option.js';
import type { PostgresBackend } from '../postgres-backend.js';
import type { HaSettings } from '../postgres-settings.js';
import { serverConnection, serverPoolOptions } from '../server-connection.js';
import { HaPool } from './ha-pool.js';
import type { PoolManagerOptions } from './pool-manager.js';

/**
 * The HA backend of `PostgresService`: a `PoolManager` over every host of the cluster (from
 * `hosts` or a DSN with several hosts; explicit user, password and database over the DSN's),
 * each host with the pool the settings describe. Readiness waits for `minMasters` masters and
 * `minReplicas` replicas. Tuning keys left unset take the pool manager's defaults.
 *
 * @example
 * import { haBackend } from 'libretto/postgres/ha';
 * new PostgresService({ backends: [haBackend] }); // with `hosts:` or a multi-host `dsn:` in config
 */
export const haBackend: PostgresBackend<'ha'> = {
  name: 'ha',
  async open(settings, context) {
    const connection = serverConnection(settings);
    if (connection.hosts.length === 0)
      invalidOption('PostgresService', 'hosts', 'name at least one host');
    const { user, password, database } = connection;
    const pool = await HaPool.create({
      hosts: connection.hosts,
      ...(user === undefined ? {} : { user }),
      ...(password === undefined ? {} : { password }),
      ...(database === undefined ? {} : { database }),
      acquireTimeoutMs: settings.acquireTimeout * 1000,
      ...tuning(settings),
      pool: serverPoolOptions(settings, connection, context),
    });
    // The service logs them (one warn line each, with the hosts; a failover as such).
    pool.manager.onEvent(context.onEvent);
    return pool;
  },
  ready(pool, settings, timeoutMs) {
    if (!(pool instanceof HaPool)) return Promise.resolve();
    return pool.manager.ready(settings.minMasters, settings.minReplicas, timeoutMs);
  },
};

/** The cluster settings given, in the pool manager's units (milliseconds). */
function tuning(s: HaSettings): Partial<PoolManagerOptions> {
  const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
  const given = {
    refreshDelayMs: ms(s.refreshDelay),
    refreshTimeoutMs: ms(s.refreshTimeout),
    fallbackMaster: s.fallbackMaster,
    masterAsReplicaWeight: s.masterAsReplicaWeight,
    balancer: s.balancerPolicy,
    stopwatchWindowSize: s.stopwatchWindowSize,
    maxLagBytes: s.maxLagBytes,
    maxLagSeconds: s.maxLagSeconds,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}
