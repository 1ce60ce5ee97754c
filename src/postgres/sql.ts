import { UsageError } from '../errors/usage-error.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * How an engine writes what the `sql` tag leaves open: the placeholder of the n-th value
 * (1-based) and a quoted identifier part. `DatabaseEngine` has both.
 */
export interface SqlRendering {
  placeholder(index: number): string;
  quoteIdentifier(part: string): string;
}

/** PostgreSQL's: `$1`, `"name"` (what `compile()` renders without an engine). */
const POSTGRES_RENDERING: SqlRendering = {
  placeholder: (index) => `$${index}`,
  quoteIdentifier: (part) => `"${part}"`,
};

/**
 * A validated identifier from `sql.identifier`: kept as its parts and quoted when the
 * statement is rendered, in the quotes of the engine it runs on.
 */
class SqlIdentifier {
  constructor(readonly parts: readonly string[]) {}
}

/**
 * A statement with placeholders and its values: what every adapter method accepts. Rendered
 * per engine (`$n` and `"x"` on PostgreSQL, `?` and `` `x` `` on MySQL).
 */
export class SqlStatement {
  /** @internal Build with the `sql` tag. */
  constructor(
    readonly strings: readonly string[],
    readonly parts: readonly unknown[],
  ) {}

  /** Text and values, nested statements renumbered; `$1, $2, …` unless `engine` says otherwise. */
  compile(engine: SqlRendering = POSTGRES_RENDERING): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const text = this.#render(values, engine);
    return { text, values };
  }

  #render(values: unknown[], engine: SqlRendering): string {
    let text = this.strings[0] ?? '';
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i];
      if (part instanceof SqlStatement) text += part.#render(values, engine);
      else if (part instanceof SqlIdentifier) {
        text += part.parts.map((p) => engine.quoteIdentifier(p)).join('.');
      } else {
        values.push(part);
        text += engine.placeholder(values.length);
      }
      text += this.strings[i + 1] ?? '';
    }
    return text;
  }
}

/** Validates an identifier (`name` or `schema.name`), quoted when rendered. */
function identifier(name: string): SqlIdentifier {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    // Names come from server code, never from a client: a bad one is a programming mistake.
    throw new UsageError(`Unsafe SQL identifier: ${JSON.stringify(name)}`, {
      code: 'UNSAFE_IDENTIFIER',
      details: [{ path: 'identifier', message: 'letters, digits, _ and $, at most one dot' }],
    });
  }
  return new SqlIdentifier(parts);
}

type SqlTag = {
  (strings: TemplateStringsArray, ...values: unknown[]): SqlStatement;
  /** A table or column name: validated (letters, digits, `_`, `$`; `schema.name`) and quoted. */
  identifier(name: string): SqlIdentifier;
  /** Statements (or values) joined by a separator, e.g. `sql.join(ids.map(id => sql`${id}`), ', ')`. */
  join(items: readonly unknown[], separator?: string): SqlStatement;
};

/**
 * The SQL tag: every interpolation becomes a parameter — never text — except nested `sql`
 * statements and `sql.identifier(...)`, which is validated.
 *
 * @example
 * await db.fetch(sql`SELECT * FROM ${sql.identifier(table)} WHERE id = ${id}`);
 */
export const sql: SqlTag = Object.assign(
  (strings: TemplateStringsArray, ...values: unknown[]) => new SqlStatement(strings, values),
  {
    identifier,
    join: (items: readonly unknown[], separator = ', ') => {
      const strings = ['', ...items.slice(1).map(() => separator), ''];
      return new SqlStatement(items.length === 0 ? [''] : strings, items);
    },
  },
);

const NO_VALUES: readonly unknown[] = Object.freeze([]);

/**
 * A statement as text and values, from the tag (rendered for `engine`, PostgreSQL's by
 * default) or from `(text, values)`.
 */
export function toQuery(
  query: string | SqlStatement,
  values: readonly unknown[] | undefined,
  engine?: SqlRendering,
): { text: string; values: readonly unknown[] } {
  if (typeof query === 'string') return { text: query, values: values ?? NO_VALUES };
  if (values !== undefined && values.length > 0) {
    throw new UsageError('Pass values inside the sql`` statement, not beside it', {
      code: 'VALUES_BESIDE_SQL_STATEMENT',
    });
  }
  return query.compile(engine);
}
