import { maskSecrets } from '../internal/redaction.js';
import { StartupError } from './lifecycle-errors.js';
import type { Logger } from './logger.js';

/** Why an application could not start, in the words a person needs to fix it. */
export interface StartupFailure {
  /** The service whose `start()` failed; absent when the failure came before (config, DI). */
  readonly service?: string;
  /** The error's first line (every issue, for invalid configuration); secrets masked. */
  readonly why: string;
  /** The error's code (`DATABASE_CONNECT_FAILED`, `EADDRINUSE`, …), when it has one. */
  readonly code?: string;
  /** What to do about it, when the code says. */
  readonly hint?: string;
  /** Where an error without a code (a bug) was thrown: its stack's first frame. */
  readonly at?: string;
}

type Detailed = Error & { code?: unknown; details?: unknown; issues?: unknown; port?: unknown };

// Wrappers that only say "while starting" or "while creating X": the cause says why.
const WRAPPERS = new Set(['APP_START_FAILED', 'DI_PROVIDER_FAILED']);

function detail(error: Detailed, key: string): unknown {
  const details = Array.isArray(error.details) ? (error.details as Record<string, unknown>[]) : [];
  return details.find((d) => d !== null && typeof d === 'object' && key in d)?.[key];
}

function hintFor(error: Detailed, code: string | undefined): string | undefined {
  switch (code) {
    case 'EADDRINUSE': {
      const port = typeof error.port === 'number' ? `port ${error.port}` : 'the port';
      return `Another process listens on ${port}: stop it, or choose another port (api.port in the config file, or LIBRETTO_API__PORT).`;
    }
    case 'EACCES':
      return 'Ports below 1024 need privileges: choose a port above 1024 (api.port, or LIBRETTO_API__PORT).';
    case 'CONFIG_INVALID':
      return 'Fix what is listed above, in the config file or the environment variables named.';
    case 'PACKAGE_NOT_INSTALLED':
      return `Install it: ${String(detail(error, 'install') ?? 'npm install <package>')}.`;
    case 'DI_UNKNOWN_TOKEN':
    case 'DI_INVALID_GRAPH':
      return 'Provide each token named above (provide(...) in the application or a service), or add the service that provides it.';
    case 'DATABASE_CONNECT_FAILED': {
      const address = String(detail(error, 'address') ?? 'its address');
      switch (detail(error, 'reason')) {
        case '28P01':
          return 'Check postgres.user and postgres.password (LIBRETTO_POSTGRES__PASSWORD).';
        case '3D000':
          return 'Create the database, or set postgres.database to one that exists.';
        case '28000':
          return 'Create the role, or set postgres.user to one that exists.';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return 'Check postgres.host (or the DSN): the name does not resolve.';
        default:
          return `Is PostgreSQL running at ${address}? Start it, or point postgres.host/port (or postgres.dsn) at a running server.`;
      }
    }
    case undefined:
      return 'The error has no code: `at` is where it was thrown; LIBRETTO_LOG_LEVEL=debug logs its whole stack.';
    default:
      return undefined;
  }
}

/** What {@link reportStartupFailure} prints, from the error `start()` rejected with. */
export function describeStartupFailure(error: unknown): StartupFailure {
  const service = error instanceof StartupError ? error.service : undefined;
  let cause: unknown = error;
  while (
    cause instanceof Error &&
    WRAPPERS.has(String((cause as Detailed).code)) &&
    cause.cause !== undefined
  ) {
    cause = cause.cause;
  }
  if (!(cause instanceof Error)) {
    return { ...(service === undefined ? {} : { service }), why: maskSecrets(String(cause)) };
  }
  const e = cause as Detailed;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const lines = maskSecrets(e.message).split('\n');
  // Invalid configuration lists every issue on its own line; other messages say it in one.
  const why = Array.isArray(e.issues) ? lines.join('\n') : (lines[0] as string);
  const hint = hintFor(e, code);
  const frame =
    code === undefined ? e.stack?.split('\n').find((l) => /^\s+at /.test(l)) : undefined;
  return {
    ...(service === undefined ? {} : { service }),
    why,
    ...(code === undefined ? {} : { code }),
    ...(hint === undefined ? {} : { hint }),
    ...(frame === undefined ? {} : { at: maskSecrets(frame.trim().replace(/^at /, '')) }),
  };
}

/**
 * Logs a failed start as one fatal record — `service`, `why`, `code`, `hint` — which the
 * pretty format prints as a short block and JSON as one line. The whole error, stack and
 * causes, goes to the debug level first.
 */
export function reportStartupFailure(logger: Logger, error: unknown): StartupFailure {
  const failure = describeStartupFailure(error);
  logger.debug({ err: error }, 'start failed');
  const what =
    failure.service === undefined
      ? 'The application failed to start'
      : `${failure.service} failed to start`;
  logger.fatal(failure, what);
  return failure;
}
