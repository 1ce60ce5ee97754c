import type { Socket } from 'node:net';

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

/**
 * The part of `pg`'s `Client` a host check uses, declared here rather than taken from pg's
 * types: the check needs a connection of its own, outside the host's pool, and nothing more.
 */
export interface CheckClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<{ readonly rows: readonly unknown[] }>;
  end(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** How a check connection is opened: `pg.Client`'s options that the check sets. */
export interface CheckClientConfig {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly ssl?: false | { readonly rejectUnauthorized: boolean };
  readonly application_name: string;
  /**
   * Gives the socket to connect over (pg's public `stream` option, a factory since pg 8.9),
   * made by the check itself: a frozen host answers nothing, not even a goodbye, so the
   * check destroys its own socket to let go at once.
   */
  readonly stream: () => Socket;
}

/** `pg.Client`, as the check sees it. */
export type CheckClientClass = new (config: CheckClientConfig) => CheckClient;

/**
 * One round trip: role, WAL position, timeline and replay delay. Every function used is
 * executable by any user; the CASEs keep master-only functions off replicas and vice versa.
 */
export const CHECK_SQL = `SELECT pg_is_in_recovery() AS recovery,
  current_setting('transaction_read_only') AS read_only,
  (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS walfile,
  (CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL
          OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
   END)::float8 AS replay_delay`;

interface CheckRow {
  readonly recovery: boolean;
  readonly read_only: string;
  readonly lsn: string | null;
  readonly walfile: string | null;
  readonly replay_delay: number;
}

/**
 * The status a row of {@link CHECK_SQL} reports. A host in recovery or read-only is a
 * replica; a master's timeline is the first eight hex digits of its current WAL file name.
 */
export function statusOfCheckRow(value: unknown): HostStatus {
  const row = value as CheckRow;
  const replica = row.recovery || row.read_only === 'on';
  return {
    role: replica ? 'replica' : 'master',
    timeline: row.walfile === null ? undefined : Number.parseInt(row.walfile.slice(0, 8), 16),
    lsn: row.lsn === null ? 0n : parseLsn(row.lsn),
    replayDelaySeconds: row.replay_delay,
  };
}

/** `16/B374D848` → a byte position. */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}
