import type { Client, ClientConfig } from 'pg';
import type { PgPool } from '../pg-pool.js';
import type { BalancerCandidate } from './balancer-policy.js';
import { Stopwatch } from './stopwatch.js';

/** What a host says it is. */
export type HostRole = 'master' | 'replica';

/** What the last successful check of a host found. */
export interface HostStatus {
  readonly role: HostRole;
  /** A master's WAL timeline (the split-brain guard compares them). */
  readonly timeline: number | undefined;
  /** A master's current WAL position, or a replica's last replayed one. */
  readonly lsn: bigint;
  /** A replica's replay delay in seconds: 0 once it has replayed all it received. */
  readonly replayDelaySeconds: number;
}

// One round trip: role, WAL position, timeline and replay delay. Every function used is
// executable by any user; the CASEs keep master-only functions off replicas and vice versa.
const CHECK_SQL = `SELECT pg_is_in_recovery() AS recovery,
  current_setting('transaction_read_only') AS read_only,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS walfile,
  (CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL
          OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
   END)::float8 AS replay_delay`;

interface CheckRow {
  recovery: boolean;
  read_only: string;
  lsn: string | null;
  walfile: string | null;
  replay_delay: number;
}

/**
 * One host of an HA cluster: its connection pool, its reserved system connection for health
 * checks (SPEC HA-2), what the last check found and how fast it answered (HA-8).
 */
export class HostPool implements BalancerCandidate {
  readonly stopwatch: Stopwatch;
  /** What the last check found; undefined while the host is unreachable. */
  status: HostStatus | undefined;
  /** Completed checks, successful or not (for `waitNextPoolCheck`). */
  checks = 0;
  #system: Client | undefined;

  constructor(
    /** Place in the configured host list. */
    readonly index: number,
    /** `host:port`. */
    readonly address: string,
    readonly driver: PgPool,
    private readonly systemConfig: ClientConfig,
    private readonly ClientClass: typeof Client,
    stopwatchWindowSize: number,
  ) {
    this.stopwatch = new Stopwatch(stopwatchWindowSize);
  }

  get freeSize(): number {
    return this.driver.freeSize;
  }

  get medianResponseTime(): number | undefined {
    return this.stopwatch.median();
  }

  /**
   * Asks the host its role and WAL position over the system connection, (re)connecting it
   * when needed; gives up after `timeoutMs` (a frozen host answers nothing) and then drops
   * the system connection. Records the result and the response time.
   */
  async check(timeoutMs: number): Promise<HostStatus | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const status = await Promise.race([this.#ask(), expired]);
      if (status === undefined) this.#dropSystem();
      this.status = status;
    } catch {
      this.#dropSystem();
      this.status = undefined;
    } finally {
      clearTimeout(timer);
      this.checks++;
    }
    return this.status;
  }

  async close(): Promise<void> {
    this.#dropSystem();
    this.status = undefined;
    await this.driver.close();
  }

  async #ask(): Promise<HostStatus> {
    let system = this.#system;
    if (system === undefined) {
      const client = new this.ClientClass(this.systemConfig);
      this.#system = client;
      client.on('error', () => {
        if (this.#system === client) this.#dropSystem();
      });
      await client.connect();
      system = client;
    }
    const started = performance.now();
    const { rows } = await system.query<CheckRow>(CHECK_SQL);
    this.stopwatch.add(performance.now() - started);
    const row = rows[0] as CheckRow;
    const replica = row.recovery || row.read_only === 'on';
    return {
      role: replica ? 'replica' : 'master',
      timeline: row.walfile === null ? undefined : Number.parseInt(row.walfile.slice(0, 8), 16),
      lsn: row.lsn === null ? 0n : parseLsn(row.lsn),
      replayDelaySeconds: row.replay_delay,
    };
  }

  /** Closes the system connection without waiting for a host that may never answer. */
  #dropSystem(): void {
    const client = this.#system;
    if (client === undefined) return;
    this.#system = undefined;
    const socket = (client as unknown as { connection?: { stream?: { destroy(): void } } })
      .connection?.stream;
    client.end().catch(() => {});
    socket?.destroy();
  }
}

/** `16/B374D848` → a byte position. */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}
