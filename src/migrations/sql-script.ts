/** One statement of a script and the line it starts on (1-based, in the script). */
export interface ScriptStatement {
  readonly text: string;
  readonly line: number;
}

/**
 * The statements of a PostgreSQL script, split at the semicolons that end them: not those in
 * quoted strings ('…', E'…' with backslash escapes), quoted identifiers ("…"), dollar-quoted
 * bodies ($$…$$, $fn$…$fn$), comments (line comments and nested block comments), or the
 * `BEGIN ATOMIC … END` body of a function or procedure. Run one by one, statements say which
 * of them failed (the server gives no position for most DDL errors), and a migration outside
 * a transaction can hold `CREATE INDEX CONCURRENTLY` (PostgreSQL runs a multi-statement
 * query string as one implicit transaction). Empty statements are dropped.
 */
export function splitStatements(script: string): ScriptStatement[] {
  const statements: ScriptStatement[] = [];
  let start = 0;
  let i = 0;
  /** Open BEGIN/CASE … END of a routine body, counted as psql does. */
  let depth = 0;
  const n = script.length;
  const push = (end: number) => {
    const raw = script.slice(start, end);
    if (hasCode(raw)) {
      const lead = raw.length - raw.trimStart().length;
      statements.push({ text: raw.trim(), line: lineAt(script, start + lead) });
    }
  };
  while (i < n) {
    const c = script[i] as string;
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = afterBlockComment(script, i);
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(script[i - 1] as string) && !isWordChar(script[i - 2]);
      i = afterQuoted(script, i, "'", escapes);
    } else if (c === '"') {
      i = afterQuoted(script, i, '"', false);
    } else if (c === '$' && !isWordChar(script[i - 1])) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64));
      if (tag === null) i++;
      else {
        const end = script.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? n : end + tag[0].length;
      }
    } else if (c === ';' && depth === 0) {
      push(i);
      i++;
      start = i;
    } else if (/[A-Za-z_]/.test(c) && !isWordChar(script[i - 1])) {
      let end = i + 1;
      while (end < n && isWordChar(script[end])) end++;
      const word = script.slice(i, end).toLowerCase();
      if (word === 'begin' || word === 'case' || word === 'end') {
        if (isRoutine(script.slice(start, i))) {
          if (word === 'end') depth = Math.max(0, depth - 1);
          else depth++;
        }
      }
      i = end;
    } else i++;
  }
  push(n);
  return statements;
}

/** Whether a statement so far creates a function or procedure (whose body may hold `;`). */
function isRoutine(head: string): boolean {
  return /^\s*create\s+(or\s+replace\s+)?(function|procedure)\b/i.test(stripComments(head));
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*\n?/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** Whether a piece of script holds anything but blanks and comments. */
function hasCode(piece: string): boolean {
  let i = 0;
  while (i < piece.length) {
    const c = piece[i] as string;
    if (/\s/.test(c)) i++;
    else if (c === '-' && piece[i + 1] === '-') {
      const end = piece.indexOf('\n', i);
      i = end === -1 ? piece.length : end + 1;
    } else if (c === '/' && piece[i + 1] === '*') i = afterBlockComment(piece, i);
    else return true;
  }
  return false;
}

function afterBlockComment(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return text.length;
}

/** After a quoted string or identifier; a doubled quote is part of it. */
function afterQuoted(text: string, from: number, quote: string, escapes: boolean): number {
  let i = from + 1;
  while (i < text.length) {
    const c = text[i];
    if (escapes && c === '\\') i += 2;
    else if (c === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}
