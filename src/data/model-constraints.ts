import { createHash } from 'node:crypto';
import { invalidOption } from '../errors/invalid-option.js';

/** What a constraint needs of a model's column (a `ConstraintColumn`). */
export interface ConstraintColumn {
  readonly property: string;
  readonly column: string;
  readonly role: string;
}

/** Fields a unique constraint or an index covers: one field, or several in order. */
export type FieldList<K extends string = string> = K | readonly K[];

/** A unique constraint or an index: its name in the database and the columns it covers. */
export interface ColumnConstraint {
  readonly name: string;
  readonly columns: readonly ConstraintColumn[];
}

/** A check constraint: the name it was declared under, its name in the database, its SQL. */
export interface CheckConstraint {
  readonly label: string;
  readonly name: string;
  /** A boolean SQL expression over the table's column names, written by server code. */
  readonly expression: string;
}

/**
 * What a model asks its table to enforce besides its key. Unique constraints hold among the
 * live rows (active versions, rows not soft-deleted): a deleted entity frees its values.
 */
export interface ModelConstraints {
  readonly unique: readonly ColumnConstraint[];
  readonly indexes: readonly ColumnConstraint[];
  readonly checks: readonly CheckConstraint[];
}

/** The options of `model()` that declare constraints. */
export interface ConstraintOptions {
  readonly unique?: readonly FieldList[];
  readonly indexes?: readonly FieldList[];
  readonly checks?: Readonly<Record<string, string>>;
}

/** PostgreSQL cuts identifiers at 63 bytes. */
const MAX_IDENTIFIER = 63;
const LABEL = /^[a-z][a-z0-9_]{0,40}$/;

/**
 * `<table>_<parts>_<suffix>` as PostgreSQL names its own constraints; a name too long is cut
 * and given a hash of the whole, so that two long names never end up the same.
 */
export function constraintName(table: string, parts: readonly string[], suffix: string): string {
  const full = `${table}_${parts.join('_')}`;
  if (full.length + suffix.length + 1 <= MAX_IDENTIFIER) return `${full}_${suffix}`;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_IDENTIFIER - suffix.length - 10)}_${hash}_${suffix}`;
}

function columnLists(
  option: 'unique' | 'indexes',
  lists: readonly FieldList[] | undefined,
  column: (property: string) => ConstraintColumn | undefined,
  table: string,
  suffix: string,
): ColumnConstraint[] {
  const out: ColumnConstraint[] = [];
  for (const [i, list] of (lists ?? []).entries()) {
    const properties = typeof list === 'string' ? [list] : [...list];
    if (properties.length === 0) invalidOption('model', `${option}[${i}]`, 'name a field');
    const columns = properties.map((p) => {
      const c = column(p);
      if (c === undefined || (c.role !== 'field' && c.role !== 'base')) {
        return invalidOption('model', `${option}[${i}]`, `"${p}" is not a field`);
      }
      return c;
    });
    if (new Set(properties).size !== properties.length) {
      invalidOption('model', `${option}[${i}]`, 'names a field twice');
    }
    const name = constraintName(
      table,
      columns.map((c) => c.column),
      suffix,
    );
    if (out.some((o) => o.name === name)) {
      invalidOption('model', `${option}[${i}]`, 'is declared twice');
    }
    out.push({ name, columns });
  }
  return out;
}

/** The constraints a model's options declare, checked against its columns. */
export function modelConstraints(
  options: ConstraintOptions,
  table: string,
  column: (property: string) => ConstraintColumn | undefined,
): ModelConstraints {
  const checks: CheckConstraint[] = [];
  for (const [label, expression] of Object.entries(options.checks ?? {})) {
    if (!LABEL.test(label)) {
      invalidOption('model', `checks.${label}`, 'must be lower case letters, digits and _');
    }
    if (typeof expression !== 'string' || expression.trim() === '') {
      invalidOption('model', `checks.${label}`, 'must be an SQL expression');
    }
    checks.push({ label, name: constraintName(table, [label], 'check'), expression });
  }
  return {
    unique: columnLists('unique', options.unique, column, table, 'key'),
    indexes: columnLists('indexes', options.indexes, column, table, 'idx'),
    checks,
  };
}
