import type { DestinationStream } from 'pino';

/** How {@link prettyDestination} writes. */
export interface PrettyLogOptions {
  /** ANSI colors. Default `false`. */
  readonly colors?: boolean;
}

const LEVELS: Readonly<Record<number, { label: string; color: string }>> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '36' },
  30: { label: 'INFO ', color: '32' },
  40: { label: 'WARN ', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '1;31' },
};

// Shown in the line's head, or not at all (pid and hostname belong to JSON collectors).
const HEAD_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'service', 'msg', 'err']);

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `HH:MM:SS.mmm`, local time: the date is noise while watching a terminal. */
function clock(epochMs: unknown): string {
  if (typeof epochMs !== 'number') return '--:--:--.---';
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A field value as one token: bare when it reads unambiguously, JSON otherwise. */
function token(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** Continuation lines of a value, indented under it. */
function indent(text: string, by: string): string {
  return text.split('\n').join(`\n${by}`);
}

interface SerializedError {
  readonly type?: string;
  readonly message?: string;
  readonly code?: unknown;
  readonly stack?: string;
  readonly cause?: SerializedError;
}

/** An error under its line: type, message and code, the stack's frames, then each cause. */
function errorLines(err: SerializedError, paint: (code: string, s: string) => string): string[] {
  const lines: string[] = [];
  let current: SerializedError | undefined = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const code = typeof current.code === 'string' ? ` (${current.code})` : '';
    const head = `${current.type ?? 'Error'}: ${current.message ?? ''}${code}`;
    lines.push(`  ${depth === 0 ? '' : 'caused by '}${indent(head, '    ')}`);
    const frames = (current.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    for (const frame of frames) lines.push(paint('2', `    ${frame.trim()}`));
    current = typeof current.cause === 'object' ? current.cause : undefined;
  }
  return lines;
}

/**
 * One JSON log line (as pino wrote it, secrets already masked) as text for a person:
 * `12:00:00.000 INFO  [HttpService] listening url=http://…`; an error's type, message and
 * stack below it. A fatal line is a block, one field per line, as a failed start is read
 * once and must say everything at a glance.
 */
export function formatLogRecord(line: string, options: PrettyLogOptions = {}): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const paint = (code: string, s: string) => (options.colors ? `\x1b[${code}m${s}\x1b[0m` : s);
  const level = LEVELS[record.level as number] ?? { label: String(record.level), color: '0' };
  const where = [record.name, record.service].filter((v) => typeof v === 'string').join('/');
  const msg = String(record.msg ?? '');
  const block = (record.level as number) >= 60;
  // A block's message that names its service ("PostgresService failed to start") says it once.
  const named = block && typeof record.service === 'string' && msg.includes(record.service);
  const head = [
    paint('2', clock(record.time)),
    paint(level.color, level.label),
    ...(where === '' || named ? [] : [paint('35', `[${where}]`)]),
    indent(msg, '  '),
  ].join(' ');
  const fields = Object.entries(record).filter(([key]) => !HEAD_KEYS.has(key));
  const err = record.err as SerializedError | undefined;
  if (block) {
    const width = Math.max(0, ...fields.map(([key]) => key.length));
    const body = fields.map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `  ${paint('1', key.padEnd(width))}  ${indent(text, ' '.repeat(width + 4))}`;
    });
    const errors = err === undefined ? [] : errorLines(err, paint);
    return `${[head, ...body, ...errors].join('\n')}\n`;
  }
  const tail = fields.map(([key, value]) => `${paint('2', `${key}=`)}${token(value)}`).join(' ');
  const lines = [tail === '' ? head : `${head} ${tail}`];
  if (err !== undefined) lines.push(...errorLines(err, paint));
  return `${lines.join('\n')}\n`;
}

/** A pino destination that writes each line through {@link formatLogRecord} to `out`. */
export function prettyDestination(
  out: DestinationStream,
  options: PrettyLogOptions = {},
): DestinationStream {
  return { write: (line: string) => out.write(formatLogRecord(line, options)) };
}
