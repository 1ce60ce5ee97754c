/** One statement of a script and the line it starts on (1-based, in the script). */
export interface ScriptStatement {
  readonly text: string;
  readonly line: number;
}

/** Whose SQL a script is: quoting, comments and routine bodies differ. */
export type ScriptDialect = 'postgres' | 'mysql';

/**
 * The statements of a script, split at the semicolons that end them. Run one by one,
 * statements say which of them failed (the server gives no position for most DDL errors).
 * Empty statements are dropped.
 *
 * PostgreSQL (the default): not at the semicolons in quoted strings ('…', E'…' with
 * backslash escapes), quoted identifiers ("…"), dollar-quoted bodies ($$…$$, $fn$…$fn$),
 * comments (`--` lines and nested block comments), or the `BEGIN ATOMIC … END` body of a
 * function or procedure. A migration outside a transaction can so hold
 * `CREATE INDEX CONCURRENTLY` (PostgreSQL runs a multi-statement string as one transaction).
 *
 * MySQL: not at those in strings ('…' and "…", both with '' and \' escapes), backquoted names
 * (`…`), comments (`#` and `-- ` lines — `--` followed by a blank —, block comments), or the
 * `BEGIN … END` body of a procedure, function, trigger or event (`END IF`, `END LOOP`,
 * `END WHILE`, `END REPEAT` close no body; there is no `DELIMITER`: it is the client's).
 */
export function splitStatements(
  script: string,
  dialect: ScriptDialect = 'postgres',
): ScriptStatement[] {
  const mysql = dialect === 'mysql';
  const statements: ScriptStatement[] = [];
  let start = 0;
  let i = 0;
  /** Open BEGIN/CASE … END of a routine body, counted as psql (or the mysql client) does. */
  let depth = 0;
  const n = script.length;
  const push = (end: number) => {
    const raw = script.slice(start, end);
    if (hasCode(raw, dialect)) {
      const lead = raw.length - raw.trimStart().length;
      statements.push({ text: raw.trim(), line: lineAt(script, start + lead) });
    }
  };
  while (i < n) {
    const c = script[i] as string;
    const next = script[i + 1];
    if (isLineComment(script, i, dialect)) {
      const end = script.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = afterBlockComment(script, i, !mysql);
    } else if (c === "'") {
      const escapes =
        mysql || (i > 0 && /[eE]/.test(script[i - 1] as string) && !isWordChar(script[i - 2]));
      i = afterQuoted(script, i, "'", escapes);
    } else if (c === '"') {
      i = afterQuoted(script, i, '"', mysql);
    } else if (c === '`' && mysql) {
      i = afterQuoted(script, i, '`', false);
    } else if (c === '$' && !mysql && !isWordChar(script[i - 1])) {
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
        const head = script.slice(start, i);
        if (mysql && word === 'begin' && isAnonymousBlock(head, script.slice(end, end + 32))) {
          depth++;
        } else if (isRoutine(head, dialect)) {
          if (word !== 'end') depth++;
          else {
            // MySQL: END IF / END LOOP / END WHILE / END REPEAT close no BEGIN or CASE.
            const after = mysql ? /^\s+([A-Za-z]+)/.exec(script.slice(end, end + 32)) : null;
            const closed = after?.[1]?.toLowerCase();
            if (after !== null && closed !== undefined && MYSQL_BLOCK_ENDS.has(closed)) {
              end += after[0].length;
              if (closed === 'case') depth = Math.max(0, depth - 1);
            } else depth = Math.max(0, depth - 1);
          }
        }
      }
      i = end;
    } else i++;
  }
  push(n);
  return statements;
}

/** The words after END that end a MySQL block (CASE closes a CASE; the others no BEGIN). */
const MYSQL_BLOCK_ENDS = new Set(['if', 'loop', 'while', 'repeat', 'case']);

/** Whether a statement so far creates a routine (whose body may hold `;`). */
function isRoutine(head: string, dialect: ScriptDialect): boolean {
  const bare = stripComments(head, dialect);
  if (dialect === 'postgres') {
    return /^\s*create\s+(or\s+replace\s+)?(function|procedure)\b/i.test(bare);
  }
  // CREATE [OR REPLACE] [DEFINER = …] [AGGREGATE] PROCEDURE|FUNCTION|TRIGGER|EVENT, or the
  // inside of MariaDB's anonymous `BEGIN NOT ATOMIC … END`.
  return (
    /^\s*create\s+(or\s+replace\s+)?(definer\s*=\s*\S+\s+)?(aggregate\s+)?(function|procedure|trigger|event)\b/i.test(
      bare,
    ) || /^\s*begin\s+not\s+atomic\b/i.test(bare)
  );
}

/** MariaDB's `BEGIN NOT ATOMIC`, opening a statement (a bare `BEGIN` starts a transaction). */
function isAnonymousBlock(head: string, rest: string): boolean {
  return stripComments(head, 'mysql').trim() === '' && /^\s+not\s+atomic\b/i.test(rest);
}

function stripComments(text: string, dialect: ScriptDialect): string {
  const line = dialect === 'mysql' ? /(--(?=\s)|#)[^\n]*\n?/g : /--[^\n]*\n?/g;
  return text.replace(line, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/** Whether a line comment starts at `i`: `--` (MySQL: `-- ` and `#`). */
function isLineComment(text: string, i: number, dialect: ScriptDialect): boolean {
  const c = text[i];
  if (dialect === 'mysql') {
    if (c === '#') return true;
    // `--` followed by a blank or the end: `1--1` is arithmetic in MySQL.
    return (
      c === '-' && text[i + 1] === '-' && (i + 2 >= text.length || /\s/.test(text[i + 2] as string))
    );
  }
  return c === '-' && text[i + 1] === '-';
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
function hasCode(piece: string, dialect: ScriptDialect): boolean {
  let i = 0;
  while (i < piece.length) {
    const c = piece[i] as string;
    if (/\s/.test(c)) i++;
    else if (isLineComment(piece, i, dialect)) {
      const end = piece.indexOf('\n', i);
      i = end === -1 ? piece.length : end + 1;
    } else if (c === '/' && piece[i + 1] === '*') {
      i = afterBlockComment(piece, i, dialect === 'postgres');
    } else return true;
  }
  return false;
}

/** After a block comment; PostgreSQL nests them, MySQL does not. */
function afterBlockComment(text: string, from: number, nested: boolean): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*' && (nested || depth === 0)) {
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
