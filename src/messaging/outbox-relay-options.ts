import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import type { BackoffOptions } from './broker.js';
import { OUTBOX_TABLE, quoteOutboxTable } from './outbox-table.js';

/** How an {@link OutboxRelay} works; durations in milliseconds. */
export interface OutboxRelayOptions {
  /** The outbox table (`libretto_outbox`). */
  readonly table?: string;
  /** Rows claimed per transaction (500). */
  readonly batchSize?: number;
  /**
   * Batches one relay runs at once (2): a batch claims what was committed while the one
   * before waits for its confirms and commit; a key's rows still go in order (1 to 8).
   */
  readonly batchesInFlight?: number;
  /** How often the table is looked at when no notification came (1000): the fallback of LISTEN. */
  readonly pollInterval?: number;
  /** Wake on `LISTEN/NOTIFY` where the backend can (true); false: polling only. */
  readonly listen?: boolean;
  /** Published rows are deleted after this long (24 h). */
  readonly retention?: number;
  /** How often published rows past the retention are deleted (60 s). */
  readonly purgeInterval?: number;
  /** Delay before a row whose publish failed is tried again: `initialDelay × factor^(attempts-1)`, capped. */
  readonly backoff?: BackoffOptions;
  /**
   * How long `stop` lets the current batch finish (10 s); after it the batch is abandoned
   * (rolled back, nothing of it marked: what was sent is sent again later).
   */
  readonly stopTimeout?: number;
}

/** The options in effect. */
export interface ResolvedOutboxRelayOptions {
  readonly table: string;
  readonly quotedTable: string;
  readonly batchSize: number;
  readonly batchesInFlight: number;
  readonly pollInterval: number;
  readonly listen: boolean;
  readonly retention: number;
  readonly purgeInterval: number;
  readonly initialDelay: number;
  readonly factor: number;
  readonly maxDelay: number;
  readonly stopTimeout: number;
}

/** Every default of {@link OutboxRelayOptions}. */
export const OUTBOX_RELAY_DEFAULTS = Object.freeze({
  table: OUTBOX_TABLE,
  batchSize: 500,
  batchesInFlight: 2,
  pollInterval: 1000,
  listen: true,
  retention: 86_400_000,
  purgeInterval: 60_000,
  initialDelay: 1000,
  factor: 2,
  maxDelay: 60_000,
  stopTimeout: 10_000,
});

const KEYS = new Set([
  'table',
  'batchSize',
  'batchesInFlight',
  'pollInterval',
  'listen',
  'retention',
  'purgeInterval',
  'backoff',
  'stopTimeout',
]);
const BACKOFF_KEYS = new Set(['initialDelay', 'factor', 'maxDelay']);
const WHERE = 'OutboxRelay';
// setTimeout's limit: a longer delay fires at once.
const MAX_MS = 2_147_483_647;

/** Checks the options (`UsageError` `INVALID_OPTION` naming the option) and applies the defaults. */
export function resolveOutboxRelayOptions(options: OutboxRelayOptions): ResolvedOutboxRelayOptions {
  if (typeof options !== 'object' || options === null)
    invalidOption(WHERE, 'options', 'must be an object');
  rejectUnknownKeys(WHERE, options, KEYS);
  const backoff = options.backoff ?? {};
  rejectUnknownKeys(WHERE, backoff, BACKOFF_KEYS, 'backoff.');
  const d = OUTBOX_RELAY_DEFAULTS;
  const table = options.table ?? d.table;
  const quotedTable = quoteOutboxTable(WHERE, table);
  if (options.listen !== undefined && typeof options.listen !== 'boolean') {
    invalidOption(WHERE, 'listen', 'must be true or false');
  }
  const initialDelay = ms('backoff.initialDelay', backoff.initialDelay, 1, d.initialDelay);
  return {
    table,
    quotedTable,
    batchSize: int('batchSize', options.batchSize, 1, 10_000, d.batchSize),
    batchesInFlight: int('batchesInFlight', options.batchesInFlight, 1, 8, d.batchesInFlight),
    pollInterval: ms('pollInterval', options.pollInterval, 1, d.pollInterval),
    listen: options.listen ?? d.listen,
    retention: int('retention', options.retention, 0, Number.MAX_SAFE_INTEGER, d.retention),
    purgeInterval: ms('purgeInterval', options.purgeInterval, 1, d.purgeInterval),
    initialDelay,
    factor: number('backoff.factor', backoff.factor, 1, d.factor),
    maxDelay: ms(
      'backoff.maxDelay',
      backoff.maxDelay,
      initialDelay,
      Math.max(initialDelay, d.maxDelay),
    ),
    stopTimeout: ms('stopTimeout', options.stopTimeout, 0, d.stopTimeout),
  };
}

function int(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidOption(WHERE, path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function ms(path: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  return int(path, value, min, MAX_MS, fallback);
}

function number(path: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    invalidOption(WHERE, path, `must be a finite number, ${min} or more`);
  }
  return value;
}
