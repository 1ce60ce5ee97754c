import { readColumns } from './dialect/sql-dialect.js';
import { fromColumnValue, needsColumnConversion } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';

/** What reading one column takes: a plain copy, a conversion, or the merge of the extra fields. */
interface ReadStep {
  readonly property: string;
  readonly column: ModelColumn | undefined;
}

/**
 * How rows of a model's table become entities: rows come back keyed by property (the
 * dialect's select list renames the columns); each entity is a new object holding the model's
 * properties only, in column order, converted where the column needs it (bigint, nested
 * models, optional fields). Building it is cheaper than trimming the driver's row: deleting a
 * property (a page's total, a pairing's owner key, an absent optional field) turns a V8 object
 * into a slow dictionary, for the reader and for everyone using the entity after it.
 */
export class ModelReader {
  readonly #steps: readonly ReadStep[];
  readonly #extra: string | undefined;

  constructor(readonly model: TableModel) {
    const columns = readColumns(model);
    this.#steps = columns
      .filter((c) => c.role !== 'extra')
      .map((c) => ({
        property: c.property,
        column: needsColumnConversion(c.codec) ? c : undefined,
      }));
    this.#extra = columns.find((c) => c.role === 'extra')?.property;
  }

  /** A row (keyed by property) as a new entity; the row's other columns are left behind. */
  fromRow(row: Record<string, unknown>): Record<string, unknown> {
    const entity: Record<string, unknown> = {};
    for (const { property, column } of this.#steps) {
      if (column === undefined) entity[property] = row[property];
      else {
        const value = fromColumnValue(column.codec, row[property]);
        if (value !== undefined) entity[property] = value;
      }
    }
    if (this.#extra !== undefined) {
      const extra = row[this.#extra] as Record<string, unknown> | null;
      for (const [key, value] of Object.entries(extra ?? {})) {
        if (key !== '__proto__' && !Object.hasOwn(entity, key)) entity[key] = value;
      }
    }
    return entity;
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
