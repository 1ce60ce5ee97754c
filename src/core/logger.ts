import { type DestinationStream, type Level, type Logger as PinoLogger, pino } from 'pino';
import { token } from '../di/token.js';
import { maskSecrets, redactSecrets } from '../internal/redaction.js';

/** The application's structured logger (pino). */
export type Logger = PinoLogger;

/** DI token of the application's root logger; services get a child per service. */
export const Logger = token<Logger>('Logger');

/** How to build the default logger. */
export interface LoggerOptions {
  /** Default: `LOG_LEVEL` from the environment, else `info`. */
  readonly level?: Level | 'silent';
  /** Added to every line as `name`. */
  readonly name?: string;
  /** Where lines go. Default: stdout, synchronously. */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger that never writes a secret: properties named like secrets (`password`,
 * `token`, `apiKey`, …) become `***`, and credentials inside strings (DSN passwords,
 * `password=` pairs) are masked in messages, bound fields and serialized errors.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.LOG_LEVEL as Level | undefined) ?? 'info';
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
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  // pino does not format a child's bindings; children are created from their parent's
  // prototype, so redacting here covers every descendant.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as typeof child;
  return logger;
}
