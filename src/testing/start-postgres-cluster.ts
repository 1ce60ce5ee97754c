import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../errors/application-errors.js';
import { invalidOption } from '../errors/invalid-option.js';
import { findPostgresBinaries } from '../postgres/postgres-binaries.js';
import { unprivilegedUser } from '../postgres/unprivileged-user.js';
import { freePort } from './free-port.js';
import {
  type ClusterNode,
  PostgresCluster,
  type PostgresClusterOptions,
} from './postgres-cluster.js';
import { PostgresNode } from './postgres-node.js';
import { querySql } from './sql-client.js';
import { TcpProxy } from './tcp-proxy.js';
import { WorkDir } from './work-dir.js';

/**
 * Starts a primary and `replicas` streaming replicas (default 2), each behind a TCP proxy,
 * and waits until every replica streams. Remove everything with `cluster.close()`.
 *
 * @example
 * const cluster = await startPostgresCluster({ replicas: 2 });
 * cluster.nodes[1].proxy.set('stall');
 */
export async function startPostgresCluster(
  options: PostgresClusterOptions = {},
): Promise<PostgresCluster> {
  const replicas = options.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 8) {
    invalidOption('startPostgresCluster', 'replicas', 'must be an integer from 0 to 8');
  }
  const binaries = findPostgresBinaries();
  const runAs = unprivilegedUser();
  const dir = new WorkDir(runAs);
  const names = ['primary', ...Array.from({ length: replicas }, (_, i) => `replica${i + 1}`)];
  const servers: PostgresNode[] = [];
  const proxies: TcpProxy[] = [];
  try {
    for (const name of names) {
      servers.push(
        new PostgresNode(name, join(dir.path, name), await freePort(), dir.path, binaries, runAs),
      );
    }
    const primary = servers[0] as PostgresNode;
    primary.initdb();
    // One physical slot per replica, created before the copy so each copy has them all:
    // whichever replica is promoted later already holds slots for the others.
    await primary.start();
    for (const name of names.slice(1)) {
      await querySql(primary.dsn(), 'SELECT pg_create_physical_replication_slot($1)', [name]);
    }
    await primary.stop('fast');
    // Before the copies: a promoted replica then keeps commits synchronous as well.
    if (options.synchronous === true && replicas > 0) {
      await primary.configure([
        `synchronous_standby_names = 'ANY 1 (${names.slice(1).join(', ')})'`,
      ]);
    }
    for (const replica of servers.slice(1)) {
      const copy = spawnSync('cp', ['-a', primary.dataDir, replica.dataDir], {
        ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
        encoding: 'utf8',
      });
      if (copy.status !== 0) {
        throw new DependencyUnavailableError(
          `Copying the primary for ${replica.name} failed: ${copy.stderr}`,
          { code: 'TEST_SERVER_START_FAILED' },
        );
      }
      writeFileSync(join(replica.dataDir, 'standby.signal'), '');
      await replica.configure([
        `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=${replica.name}'`,
        `primary_slot_name = '${replica.name}'`,
      ]);
    }
    await Promise.all(servers.map((s) => s.start()));
    for (const s of servers) proxies.push(await TcpProxy.start('127.0.0.1', s.port));
    const nodes: ClusterNode[] = servers.map((server, i) => {
      const proxy = proxies[i] as TcpProxy;
      const address = `127.0.0.1:${proxy.port}`;
      return {
        name: server.name,
        server,
        proxy,
        address,
        dsn: (database = 'postgres') => `postgresql://postgres@${address}/${database}`,
      };
    });
    await waitForStreaming(primary, replicas);
    return new PostgresCluster(nodes, dir);
  } catch (error) {
    await Promise.all(servers.map((s) => s.kill()));
    await Promise.all(proxies.map((p) => p.close()));
    for (const s of servers) s.dispose();
    dir.remove();
    throw error;
  }
}

async function waitForStreaming(primary: PostgresNode, replicas: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [row] = await querySql(
      primary.dsn(),
      "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'",
    );
    if (Number(row?.n) >= replicas) return;
    if (Date.now() > deadline) {
      throw new DependencyUnavailableError(`Only ${row?.n} of ${replicas} replicas are streaming`, {
        code: 'TEST_REPLICATION_TIMEOUT',
      });
    }
    await sleep(20);
  }
}
