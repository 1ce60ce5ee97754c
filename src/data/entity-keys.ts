import { invalidValue, misuse } from './data-errors.js';
import { toColumnValue } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key columns of a model, in key order. */
export function keyColumnsOf(model: TableModel): readonly ModelColumn[] {
  return model.primaryKey.map((p) => model.column(p) as ModelColumn);
}

/**
 * Checks one key value: a malformed id (from a URL, say) is a ValidationError `INVALID_KEY`,
 * not an SQL error.
 */
export function checkKey(column: ModelColumn, value: unknown, path: string): void {
  const ok =
    column.codec.kind === 'uuid'
      ? typeof value === 'string' && UUID.test(value)
      : column.codec.kind === 'timestamp'
        ? value instanceof Date && !Number.isNaN(value.getTime())
        : value !== undefined && value !== null && typeof value !== 'object';
  if (!ok) {
    const message = column.codec.kind === 'uuid' ? 'expected a UUID' : 'expected a key value';
    invalidValue('INVALID_KEY', path, message);
  }
}

/** The key's column values of an id (one value, or an object of key fields), checked. */
export function keyValues(keys: readonly ModelColumn[], id: unknown, path: string): unknown[] {
  if (keys.length === 1) {
    const column = keys[0] as ModelColumn;
    checkKey(column, id, path);
    return [toColumnValue(column.codec, id)];
  }
  if (typeof id !== 'object' || id === null) {
    invalidValue(
      'INVALID_KEY',
      path,
      `expected an object of ${keys.map((k) => k.property).join(', ')}`,
    );
  }
  return keys.map((column) => {
    const value = (id as Record<string, unknown>)[column.property];
    checkKey(column, value, `${path}.${column.property}`);
    return toColumnValue(column.codec, value);
  });
}

/** A write of something that is not an entity object is a programming mistake. */
export function checkEntity(entity: unknown, path: string): void {
  if (typeof entity !== 'object' || entity === null || Array.isArray(entity)) {
    misuse('NOT_AN_ENTITY', path, 'expected an entity object');
  }
}

/** A page number, page size, limit or offset: a safe integer, `min` or more. */
export function checkCount(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    invalidValue('INVALID_PAGE', path, `must be an integer, ${min} or more`);
  }
  return value;
}
