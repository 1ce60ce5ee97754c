import { readColumns } from './dialect/sql-dialect.js';
import { fromColumnValue, needsColumnConversion } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';

/**
 * How rows of a model's table become entities: rows come back keyed by property (the
 * dialect's select list renames the columns), so only the few columns that need a
 * conversion (bigint, nested models, optional fields, the extra fields) are touched.
 */
export class ModelReader {
  readonly #converted: readonly ModelColumn[];

  constructor(readonly model: TableModel) {
    this.#converted = readColumns(model).filter(
      (c) => needsColumnConversion(c.codec) || c.role === 'extra',
    );
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
