import { createLogger, type Logger } from 'libretto';

/** A real pino logger whose lines are kept in memory for assertions. */
export function capturedLogger(): {
  logger: Logger;
  lines: Record<string, unknown>[];
  text: () => string;
} {
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (s: string) => void raw.push(s) },
  });
  return {
    logger,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
