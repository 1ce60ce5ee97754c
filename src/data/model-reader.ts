import { readColumns, type SqlDialect } from './dialect/sql-dialect.js';
import { fromColumnValue, needsColumnConversion } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';

type Decoder = (value: unknown) => unknown;

/**
 * What reading one column takes: a plain copy, the dialect's decoding of the driver's value
 * (a MySQL boolean is a number), a conversion, or the merge of the extra fields.
 */
interface ReadStep {
  readonly property: string;
  readonly column: ModelColumn | undefined;
  readonly decode: Decoder | undefined;
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
  readonly #extra: ReadStep | undefined;

  constructor(
    readonly model: TableModel,
    dialect?: SqlDialect,
  ) {
    const columns = readColumns(model);
    const step = (c: ModelColumn): ReadStep => ({
      property: c.property,
      column: needsColumnConversion(c.codec) ? c : undefined,
      decode: dialect?.columnDecoder?.(c.codec.storage),
    });
    this.#steps = columns.filter((c) => c.role !== 'extra').map(step);
    const extra = columns.find((c) => c.role === 'extra');
    this.#extra = extra === undefined ? undefined : step(extra);
  }

  /** A row (keyed by property) as a new entity; the row's other columns are left behind. */
  fromRow(row: Record<string, unknown>): Record<string, unknown> {
    const entity: Record<string, unknown> = {};
    for (const { property, column, decode } of this.#steps) {
      const stored = decode === undefined ? row[property] : decode(row[property]);
      if (column === undefined) entity[property] = stored;
      else {
        const value = fromColumnValue(column.codec, stored);
        if (value !== undefined) entity[property] = value;
      }
    }
    const extraStep = this.#extra;
    if (extraStep !== undefined) {
      const stored = row[extraStep.property];
      const extra = (extraStep.decode === undefined ? stored : extraStep.decode(stored)) as Record<
        string,
        unknown
      > | null;
      for (const [key, value] of Object.entries(extra ?? {})) {
        if (key !== '__proto__' && !Object.hasOwn(entity, key)) entity[key] = value;
      }
    }
    return entity;
  }
}

/** Readers by dialect (a dialect may decode values), then by model. */
const readers = new WeakMap<SqlDialect, WeakMap<TableModel, ModelReader>>();

/** The reader of a model's rows as a dialect's statements return them, made once. */
export function readerOf(model: TableModel, dialect: SqlDialect): ModelReader {
  let byModel = readers.get(dialect);
  if (byModel === undefined) {
    byModel = new WeakMap();
    readers.set(dialect, byModel);
  }
  let reader = byModel.get(model);
  if (reader === undefined) {
    reader = new ModelReader(model, dialect);
    byModel.set(model, reader);
  }
  return reader;
}
