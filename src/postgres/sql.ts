import { UsageError } from '../errors/usage-error.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** A piece of SQL text that is not a value: produced only by `sql.identifier`/`sql.join`. */
class SqlText {
  constructor(readonly text: string) {}
}

/** A statement with `$n` placeholders and its values: what every adapter method accepts. */
export class SqlStatement {
  /** @internal Build with the `sql` tag. */
  constructor(
    readonly strings: readonly string[],
    readonly parts: readonly unknown[],
  ) {}

  /** `$1, $2, …` text and values, nested statements renumbered. */
  compile(): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const text = this.#render(values);
    return { text, values };
  }

  #render(values: unknown[]): string {
    let text = this.strings[0] ?? '';
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i];
      if (part instanceof SqlStatement) text += part.#render(values);
      else if (part instanceof SqlText) text += part.text;
      else {
        values.push(part);
        text += `$${values.length}`;
      }
      text += this.strings[i + 1] ?? '';
    }
    return text;
  }
}

/** Quotes a validated identifier (`name` or `schema.name`). */
function quoteIdentifier(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    // Names come from server code, never from a client: a bad one is a programming mistake.
    throw new UsageError(`Unsafe SQL identifier: ${JSON.stringify(name)}`, {
      code: 'UNSAFE_IDENTIFIER',
      details: [{ path: 'identifier', message: 'letters, digits, _ and $, at most one dot' }],
    });
  }
  return parts.map((p) => `"${p}"`).join('.');
}

type SqlTag = {
  (strings: TemplateStringsArray, ...values: unknown[]): SqlStatement;
  /** A table or column name: validated (letters, digits, `_`, `$`; `schema.name`) and quoted. */
  identifier(name: string): SqlText;
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
    identifier: (name: string) => new SqlText(quoteIdentifier(name)),
    join: (items: readonly unknown[], separator = ', ') => {
      const strings = ['', ...items.slice(1).map(() => separator), ''];
      return new SqlStatement(items.length === 0 ? [''] : strings, items);
    },
  },
);

const NO_VALUES: readonly unknown[] = Object.freeze([]);

/** A statement as text and values, from the tag or from `(text, values)`. */
export function toQuery(
  query: string | SqlStatement,
  values: readonly unknown[] | undefined,
): { text: string; values: readonly unknown[] } {
  if (typeof query === 'string') return { text: query, values: values ?? NO_VALUES };
  if (values !== undefined && values.length > 0) {
    throw new UsageError('Pass values inside the sql`` statement, not beside it', {
      code: 'VALUES_BESIDE_SQL_STATEMENT',
    });
  }
  return query.compile();
}
