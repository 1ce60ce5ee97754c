import { fromColumnValue, needsColumnConversion } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';
import { quote } from './sql-names.js';

/**
 * How rows of a model's table are read: the select list (columns renamed to properties, so
 * rows come back shaped as entities), the condition that skips deleted rows, and the
 * conversion of the few columns that need one.
 */
export class ModelReader {
  /** `"first_name" AS "firstName", …` */
  readonly select: string;
  /** `"active"`, `"deleted_at" IS NULL`, or '' (nothing is ever deleted softly). */
  readonly live: string;
  readonly #converted: readonly ModelColumn[];
  readonly #columns: readonly ModelColumn[];

  constructor(readonly model: TableModel) {
    this.#columns = model.columns.filter((c) => c.role !== 'computed');
    this.select = this.selectFrom(undefined);
    this.live = model.flags.versioned
      ? '"active"'
      : model.flags.softDelete
        ? '"deleted_at" IS NULL'
        : '';
    this.#converted = this.#columns.filter(
      (c) => needsColumnConversion(c.codec) || c.role === 'extra',
    );
  }

  /** The select list with every column qualified by a table alias. */
  selectFrom(alias: string | undefined): string {
    const prefix = alias === undefined ? '' : `${quote(alias)}.`;
    return this.#columns
      .map((c) =>
        c.column === c.property && alias === undefined
          ? quote(c.column)
          : `${prefix}${quote(c.column)} AS ${quote(c.property)}`,
      )
      .join(', ');
  }

  /** The live condition on an aliased table. */
  liveFrom(alias: string): string {
    return this.live === '' ? '' : `${quote(alias)}.${this.live}`;
  }

  /** A row (already keyed by property) as an entity; converts in place. */
  fromRow(row: Record<string, unknown>): Record<string, unknown> {
    for (const c of this.#converted) {
      if (c.role === 'extra') {
        const extra = row[c.property] as Record<string, unknown> | null;
        delete row[c.property];
        for (const [key, value] of Object.entries(extra ?? {})) {
          if (key !== '__proto__' && !Object.hasOwn(row, key)) row[key] = value;
        }
        continue;
      }
      const value = fromColumnValue(c.codec, row[c.property]);
      if (value === undefined) delete row[c.property];
      else row[c.property] = value;
    }
    return row;
  }
}

const readers = new WeakMap<TableModel, ModelReader>();

/** The reader of a model, made once. */
export function readerOf(model: TableModel): ModelReader {
  let reader = readers.get(model);
  if (reader === undefined) {
    reader = new ModelReader(model);
    readers.set(model, reader);
  }
  return reader;
}
