import { backfillFromDsn, parseDsn } from '../../config/dsn.js';
import { invalidOption } from '../../errors/invalid-option.js';
import type { LibrettoError } from '../../errors/libretto-error.js';
import { importOptionalPeer } from '../../internal/optional-peer.js';
import { PgPool } from '../pg-pool.js';
import { idleConnectionFailed } from './ha-errors.js';
import type { CheckClientClass } from './host-check.js';
import { HostPool } from './host-pool.js';
import type { PoolManagerOptions, ResolvedPoolManagerOptions } from './pool-manager-options.js';

/** `application_name` of the check connections, to tell them apart in `pg_stat_activity`. */
const CHECK_APPLICATION_NAME = 'libretto-ha-check';

/**
 * One {@link HostPool} per configured host: a `PgPool` for callers (the `pool` settings,
 * with the manager's acquire timeout unless `pool` sets one) and the settings of its check
 * connection (the pool's TLS settings; the check bounds connecting and asking together). Hosts come from
 * `hosts`, else the DSN; user, password and database given explicitly win over the DSN's.
 * Nothing connects yet. Also returns the database, for messages.
 */
export async function openHostPools(
  options: PoolManagerOptions,
  resolved: ResolvedPoolManagerOptions,
  onError: (host: string, error: LibrettoError) => void,
): Promise<{ hosts: HostPool[]; database: string | undefined }> {
  const fields = backfillFromDsn({
    dsn: options.dsn,
    hosts: options.hosts,
    user: options.user,
    password: options.password,
    database: options.database,
  });
  const addresses = (fields.hosts ?? []).map((h) => parseDsn(`postgresql://${h}`).hosts[0]);
  if (addresses.length === 0) invalidOption('PoolManager', 'hosts', 'name at least one host');
  refuseDuplicates(addresses.map((a) => (a === undefined ? '' : addressOf(a))));
  const Client: CheckClientClass = (
    await importOptionalPeer('pg', 'The HA pool (libretto/postgres/ha)', () => import('pg'))
  ).default.Client;
  const { user, password, database } = fields;
  const ssl = options.pool?.ssl;
  const hosts: HostPool[] = [];
  for (const [index, address] of addresses.entries()) {
    if (address === undefined) continue;
    const where = {
      host: address.host,
      ...(address.port === undefined ? {} : { port: address.port }),
      ...(user === undefined ? {} : { user }),
      ...(password === undefined ? {} : { password }),
      ...(database === undefined ? {} : { database }),
    };
    const hostPort = addressOf(address);
    const connections = await PgPool.create({
      acquireTimeoutMs: resolved.acquireTimeoutMs,
      // Unless the pool settings handle them, idle failures become the manager's `error` events.
      onIdleError: (error) => onError(hostPort, idleConnectionFailed(hostPort, error)),
      ...options.pool,
      ...where,
    });
    hosts.push(
      new HostPool({
        index,
        address: hostPort,
        connections,
        checkConfig: {
          ...where,
          ...(ssl === undefined ? {} : { ssl }),
          application_name: CHECK_APPLICATION_NAME,
        },
        Client,
        stopwatchWindowSize: resolved.stopwatchWindowSize,
        onError: (error) => onError(hostPort, error),
      }),
    );
  }
  return { hosts, database };
}

/** `host:port`, the port 5432 when not given. */
function addressOf(address: { readonly host: string; readonly port?: number | undefined }): string {
  return `${address.host}:${address.port ?? 5432}`;
}

/**
 * A host listed twice would have two pools and two checks contesting each other forever (both
 * claim master on the same timeline): refused when the manager is configured.
 */
function refuseDuplicates(addresses: readonly string[]): void {
  const seen = new Set<string>();
  for (const address of addresses) {
    const key = address.toLowerCase();
    if (seen.has(key)) {
      invalidOption('PoolManager', 'hosts', `list each host once (${address} is listed twice)`);
    }
    seen.add(key);
  }
}
