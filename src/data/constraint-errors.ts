import { RelatedResourceNotFoundError } from '../errors/application-errors.js';
import { AlreadyExistsError, ConflictError, ValidationError } from '../errors/domain-errors.js';
import type { LibrettoError } from '../errors/libretto-error.js';
import type { SqlDialect } from './dialect/sql-dialect.js';
import type { TableModel } from './model.js';
import type { SchemaRegistry } from './schema-registry.js';

const CONSTRAINT_CODES = new Set([
  'DB_UNIQUE_VIOLATION',
  'DB_FOREIGN_KEY_VIOLATION',
  'DB_CHECK_VIOLATION',
]);

/**
 * The name of the constraint a database error (mapped by `Database`) reports, if any: the
 * driver error's `constraint` (`pg`), else what the dialect reads in it (MySQL's message).
 */
function constraintOf(error: unknown, dialect: SqlDialect): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !CONSTRAINT_CODES.has(code)) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  const name = (cause as { constraint?: unknown } | null)?.constraint;
  return typeof name === 'string' ? name : dialect.violatedConstraint?.(cause);
}

/** `a company`, `an employee`: messages read as sentences. */
const a = (name: string): string => `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;

const capital = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

const fieldWords = (fields: readonly string[]): string =>
  fields.length === 1 ? (fields[0] as string) : fields.join(' and ');

/**
 * Tells which of a model's constraints a write broke, by the names the DDL gave them, and says
 * so in the model's words: a duplicate is an AlreadyExistsError naming the fields, a key naming
 * no entity a RelatedResourceNotFoundError naming the relation, a hard delete of an entity
 * still named a ConflictError, a failed check a ValidationError naming the check. Values are
 * never quoted. Runs only when a write failed: no cost on the way that succeeds.
 */
export class ConstraintErrors {
  readonly #model: TableModel;
  readonly #schema: SchemaRegistry | undefined;
  readonly #dialect: SqlDialect;

  constructor(model: TableModel, schema: SchemaRegistry | undefined, dialect: SqlDialect) {
    this.#model = model;
    this.#schema = schema;
    this.#dialect = dialect;
  }

  /** Throws the error for a failed save: a translation, or the error as it was. */
  readonly saveFailed = (error: unknown): never => this.#rethrow(error, false);

  /** Throws the error for a failed hard delete: a translation, or the error as it was. */
  readonly deleteFailed = (error: unknown): never => this.#rethrow(error, true);

  #rethrow(error: unknown, deleting: boolean): never {
    const name = constraintOf(error, this.#dialect);
    throw (
      (name === undefined ? undefined : this.#describe(name, error as LibrettoError, deleting)) ??
      error
    );
  }

  #describe(name: string, cause: LibrettoError, deleting: boolean): LibrettoError | undefined {
    const model = this.#model;
    const unique = model.constraints.unique.find((u) => u.name === name);
    if (unique !== undefined) {
      const fields = unique.columns.map((c) => c.property);
      return new AlreadyExistsError(
        `${capital(a(model.name))} with this ${fieldWords(fields)} already exists`,
        {
          code: 'DUPLICATE_VALUE',
          cause,
          details: fields.map((path) => ({ path, message: 'already taken', resource: model.name })),
        },
      );
    }
    const check = model.constraints.checks.find((c) => c.name === name);
    if (check !== undefined) {
      return new ValidationError(`${model.name} breaks the rule ${check.label}`, {
        code: 'CHECK_FAILED',
        cause,
        details: [{ resource: model.name, rule: check.label, message: 'rule not met' }],
      });
    }
    return this.#foreignKey(name, cause, deleting);
  }

  /** A FOREIGN KEY: this model's own (a missing target) or another's naming this model. */
  #foreignKey(name: string, cause: LibrettoError, deleting: boolean): LibrettoError | undefined {
    const schema = this.#schema;
    if (schema === undefined) return undefined;
    for (const m of schema.models) {
      for (const r of schema.relationsOf(m).values()) {
        if (r.kind !== 'belongsTo' || r.constraint !== name) continue;
        if (r.from === this.#model && !deleting) {
          const path = r.foreignKey.property;
          return new RelatedResourceNotFoundError(
            `${r.from.name}.${r.name}: no ${r.target.name} has the ${path} given`,
            {
              code: 'RELATED_ENTITY_NOT_FOUND',
              cause,
              details: [{ path, relation: r.name, resource: r.target.name, message: 'not found' }],
            },
          );
        }
        if (r.target === this.#model) {
          return new ConflictError(
            `${r.target.name} is still the ${r.name} of ${a(r.from.name)}: it cannot be removed`,
            {
              code: 'ENTITY_REFERENCED',
              cause,
              details: [{ resource: r.from.name, relation: r.name, message: 'still referenced' }],
            },
          );
        }
      }
    }
    return undefined;
  }
}
