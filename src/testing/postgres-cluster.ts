import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOperationError } from '../errors/application-errors.js';
import { DeadlineExceededError } from '../errors/infrastructure-errors.js';
import { UsageError } from '../errors/usage-error.js';
import type { PostgresNode, StopMode } from './postgres-node.js';
import { querySql } from './sql-client.js';
import type { TcpProxy } from './tcp-proxy.js';
import type { WorkDir } from './work-dir.js';

/** Options of {@link startPostgresCluster}. */
export interface PostgresClusterOptions {
  /** Streaming replicas besides the primary. Default 2. */
  readonly replicas?: number;
  /** Commit waits for at least one replica (`synchronous_standby_names = ANY 1 (…)`). */
  readonly synchronous?: boolean;
}

/** One server of a cluster, reached through its own TCP proxy. */
export interface ClusterNode {
  /** `primary`, `replica1`, `replica2`, … (the name it started with, whatever its role now). */
  readonly name: string;
  readonly server: PostgresNode;
  readonly proxy: TcpProxy;
  /** `127.0.0.1:<proxy port>`: what clients use, so tests can cut or stall it. */
  readonly address: string;
  /** A DSN through the proxy. */
  dsn(database?: string): string;
}

/**
 * A primary with streaming replicas for HA tests, each behind a {@link TcpProxy}.
 * Replicas are cold copies of the cleanly stopped primary with `standby.signal`,
 * `primary_conninfo` and a physical replication slot each; replication itself does not go
 * through the proxies, so cutting a proxy partitions clients only.
 */
export class PostgresCluster {
  #primary: ClusterNode;

  /** @internal Use `startPostgresCluster()`. */
  constructor(
    readonly nodes: readonly ClusterNode[],
    private readonly dir: WorkDir,
  ) {
    this.#primary = nodes[0] as ClusterNode;
  }

  /** The node currently acting as primary (changes with `promote`). */
  get primary(): ClusterNode {
    return this.#primary;
  }

  get replicas(): readonly ClusterNode[] {
    return this.nodes.filter((n) => n !== this.#primary);
  }

  /** A multi-host DSN over every node's proxy, primary first. */
  dsn(database = 'postgres'): string {
    return `postgresql://postgres@${this.nodes.map((n) => n.address).join(',')}/${database}`;
  }

  /**
   * Promotes a replica to primary and points the other running replicas at it. The old
   * primary, if still running, is not touched: stop or kill it first (or test split-brain).
   */
  async promote(node: ClusterNode): Promise<void> {
    if (node === this.#primary)
      throw new UsageError(`${node.name} is already the primary`, { code: 'TEST_ALREADY_PRIMARY' });
    const [row] = await querySql(node.server.dsn(), 'SELECT pg_promote(true, 60) AS promoted');
    if (row?.promoted !== true) {
      throw new DeadlineExceededError(`${node.name} did not finish promotion within 60 s`, {
        code: 'TEST_PROMOTION_TIMEOUT',
      });
    }
    this.#primary = node;
    for (const other of this.replicas) {
      if (!other.server.running) {
        await other.server.configure([this.#followLine(other)]);
        continue;
      }
      await querySql(
        other.server.dsn(),
        `ALTER SYSTEM SET primary_conninfo = '${this.#conninfo(other)}'`,
      );
      await querySql(other.server.dsn(), 'SELECT pg_reload_conf()');
    }
  }

  /** Stops a node (its proxy stays up and refuses nothing: connections fail at the server). */
  stop(node: ClusterNode, mode: StopMode = 'fast'): Promise<void> {
    return node.server.stop(mode);
  }

  /** Kills a node at once, as a crash would. */
  kill(node: ClusterNode): Promise<void> {
    return node.server.kill();
  }

  /** Starts a stopped node again (a replica resumes streaming; a primary recovers). */
  start(node: ClusterNode): Promise<void> {
    return node.server.start();
  }

  /**
   * Waits until every running replica has replayed everything the primary has written so
   * far; DeadlineExceededError after `timeoutMs`.
   */
  async waitForReplication(timeoutMs = 10_000): Promise<void> {
    const [row] = await querySql(
      this.#primary.server.dsn(),
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    const target = String(row?.lsn);
    const deadline = Date.now() + timeoutMs;
    for (const replica of this.replicas) {
      if (!replica.server.running) continue;
      for (;;) {
        const [r] = await querySql(
          replica.server.dsn(),
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
          [target],
        );
        if (r?.done === true) break;
        if (Date.now() > deadline) {
          throw new DeadlineExceededError(
            `${replica.name} did not replay up to ${target} in ${timeoutMs} ms`,
            { code: 'TEST_REPLICATION_TIMEOUT' },
          );
        }
        await sleep(10);
      }
    }
  }

  /**
   * The running replica that has received the most WAL: the one a failover tool promotes,
   * so that with synchronous replication no acknowledged commit is lost.
   */
  async mostAdvancedReplica(): Promise<ClusterNode> {
    let best: ClusterNode | undefined;
    let bestAt = -1n;
    for (const replica of this.replicas) {
      if (!replica.server.running) continue;
      const [row] = await querySql(
        replica.server.dsn(),
        "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::text AS at",
      );
      const at = BigInt(String(row?.at ?? '0'));
      if (at > bestAt) {
        best = replica;
        bestAt = at;
      }
    }
    if (best === undefined) {
      throw new InvalidOperationError('No replica is running', { code: 'TEST_NO_REPLICA_RUNNING' });
    }
    return best;
  }

  /** Stops every node and proxy and removes the files. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.stop('immediate')));
    await Promise.all(this.nodes.map((n) => n.proxy.close()));
    for (const n of this.nodes) n.server.dispose();
    this.dir.remove();
  }

  #conninfo(replica: ClusterNode): string {
    return `host=127.0.0.1 port=${this.#primary.server.port} user=postgres application_name=${replica.name}`;
  }

  #followLine(replica: ClusterNode): string {
    return `primary_conninfo = '${this.#conninfo(replica)}'`;
  }
}
