import { type DestinationStream, type Level, type Logger as PinoLogger, pino } from 'pino';
import { token } from '../di/token.js';
import { maskSecrets, redactSecrets } from '../internal/redaction.js';
import { prettyDestination } from './pretty-log.js';

/** The application's structured logger (pino). */
export type Logger = PinoLogger;

/** DI token of the application's root logger; services get a child per service. */
export const Logger = token<Logger>('Logger');

/** The levels a logger accepts, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** How log lines are written: one JSON object per line, or a line for a person to read. */
export type LogFormat = 'json' | 'pretty';

/** How to build the default logger. */
export interface LoggerOptions {
  /**
   * Default: the `LIBRETTO_LOG_LEVEL` variable, else `log.level` from the configuration
   * file (applied when `ConfigService` loads it), else `info`.
   */
  readonly level?: Level | 'silent';
  /** Added to every line as `name`. */
  readonly name?: string;
  /** Where lines go. Default: stdout, synchronously. */
  readonly destination?: DestinationStream;
  /**
   * Default: the `LIBRETTO_LOG_FORMAT` variable (`json` or `pretty`), else `pretty` when the
   * destination is a terminal, else `json`.
   */
  readonly format?: LogFormat;
  /** Colors in the pretty format. Default: on a terminal, unless `NO_COLOR` is set. */
  readonly colors?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The variables the logger reads itself; configuration leaves them out of its document. */
export const LOGGER_VARIABLES = ['LIBRETTO_LOG_LEVEL', 'LIBRETTO_LOG_FORMAT'] as const;

// Loggers whose level nobody chose (no option, no variable): the configuration file may set it.
const defaultLevel = new WeakSet<Logger>();

/** A variable's value when it is one of `allowed`; otherwise a note for the first line logged. */
function fromEnv<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  notes: string[],
): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = raw.trim().toLowerCase() as T;
  if (allowed.includes(value)) return value;
  notes.push(`${name}=${JSON.stringify(raw)} is not one of ${allowed.join(', ')}: ignored`);
  return undefined;
}

/**
 * Sets the level of a logger built by {@link createLogger} whose level came from no option
 * and no variable; those win over the configuration file. Children follow their root.
 */
export function applyConfiguredLevel(logger: Logger, level: Level | 'silent' | undefined): void {
  if (level !== undefined && defaultLevel.has(logger)) logger.level = level;
}

/**
 * A pino logger that never writes a secret: properties named like secrets (`password`,
 * `token`, `apiKey`, …) become `***`, and credentials inside strings (DSN passwords,
 * `password=` pairs) are masked in messages, bound fields and serialized errors — in JSON
 * lines and in the pretty format alike (written from the masked JSON, in-process: no
 * transport thread to start). `env` is where `LIBRETTO_LOG_LEVEL`, `LIBRETTO_LOG_FORMAT` and
 * `NO_COLOR` are read; default `process.env`.
 *
 * @example
 * const logger = createLogger({ format: 'pretty', level: 'debug' });
 */
export function createLogger(options: LoggerOptions = {}, env: Env = process.env): Logger {
  const notes: string[] = [];
  const envLevel = fromEnv(env, 'LIBRETTO_LOG_LEVEL', LOG_LEVELS, notes);
  const envFormat = fromEnv(env, 'LIBRETTO_LOG_FORMAT', ['json', 'pretty'] as const, notes);
  const level = options.level ?? envLevel ?? 'info';
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  const isTty =
    options.destination === undefined
      ? process.stdout.isTTY === true
      : (out as { isTTY?: boolean }).isTTY === true;
  const format = options.format ?? envFormat ?? (isTty ? 'pretty' : 'json');
  const colors = options.colors ?? (isTty && (env.NO_COLOR ?? '') === '');
  const logger = pino(
    {
      level,
      ...(options.name === undefined ? {} : { name: options.name }),
      formatters: {
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
      serializers: { err: (error: unknown) => redactSecrets(error) },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // pino takes an Error's message as the line's message without any hook: give
          // it a masked one explicitly.
          if (first instanceof Error) {
            const message = typeof rest[0] === 'string' ? (rest.shift() as string) : first.message;
            return method.apply(this, [{ err: first }, maskSecrets(message), ...rest] as never);
          }
          // Later arguments are interpolated (`%s`, `%j`, `%o`) without any formatter.
          const masked = args.map((a: unknown, i) =>
            typeof a === 'string' ? maskSecrets(a) : i > 0 ? redactSecrets(a) : a,
          );
          return method.apply(this, masked as never);
        },
      },
    },
    format === 'pretty' ? prettyDestination(out, { colors }) : out,
  );
  // pino does not format a child's bindings; children are created from their parent's
  // prototype, so redacting here covers every descendant.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as typeof child;
  if (options.level === undefined && envLevel === undefined) defaultLevel.add(logger);
  for (const note of notes) logger.warn(note);
  return logger;
}
