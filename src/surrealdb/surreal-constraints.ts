import type { TableModel } from '../data/model.js';
import { AlreadyExistsError } from '../errors/domain-errors.js';

/** `a company`, `an employee`: messages read as sentences. */
const a = (name: string): string => `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;

const capital = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/**
 * A failed write in the model's words: a duplicate in one of its unique indexes is an
 * AlreadyExistsError `DUPLICATE_VALUE` naming the fields (never the value), as on SQL stores.
 */
export function constraintFailure(model: TableModel): (error: unknown) => never {
  return (error) => {
    const index = (error as { details?: readonly { index?: unknown }[] } | null)?.details?.[0]
      ?.index;
    const unique = model.constraints.unique.find((u) => u.name === index);
    if (unique === undefined) throw error;
    const fields = unique.columns.map((c) => c.property);
    throw new AlreadyExistsError(
      `${capital(a(model.name))} with this ${fields.join(' and ')} already exists`,
      {
        code: 'DUPLICATE_VALUE',
        cause: error,
        details: fields.map((path) => ({ path, message: 'already taken', resource: model.name })),
      },
    );
  };
}
