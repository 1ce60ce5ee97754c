import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { misuse } from './data-errors.js';
import type { DialectStatement, SqlDialect } from './dialect/sql-dialect.js';
import { executeCount } from './dialect/statement-runner.js';
import { checkEntity, checkKey, keyColumnsOf } from './entity-keys.js';
import { toColumnValue } from './field-codec.js';
import type { ModelColumn, TableModel } from './model.js';
import type { ManyToManyRelation } from './relation.js';
import type { SchemaRegistry } from './schema-registry.js';

/**
 * `relate` and `unrelate` of a model's many-to-many relations: pairs of keys written to and
 * removed from the association table. A relation name the model lacks (or one that is not
 * many-to-many) is server code's mistake: UsageError `UNKNOWN_RELATION`.
 */
export class AssociationWrites {
  readonly #model: TableModel;
  readonly #dialect: SqlDialect;
  readonly #db: DatabaseAdapter;
  readonly #schema: SchemaRegistry | undefined;
  /** Each relation's two statements, written on first use. */
  readonly #statements = new Map<
    ManyToManyRelation,
    { relate: DialectStatement; unrelate: DialectStatement }
  >();

  constructor(
    model: TableModel,
    dialect: SqlDialect,
    db: DatabaseAdapter,
    schema: SchemaRegistry | undefined,
  ) {
    this.#model = model;
    this.#dialect = dialect;
    this.#db = db;
    this.#schema = schema;
  }

  /** Pairs `entity` with `other` (idempotent). */
  async relate(name: string, entity: object, other: object): Promise<void> {
    const [relation, values] = this.#pair(name, entity, other);
    await executeCount(this.#db, this.#statementsOf(relation).relate, values);
  }

  /** Removes the pair; returns whether it was there. */
  async unrelate(name: string, entity: object, other: object): Promise<boolean> {
    const [relation, values] = this.#pair(name, entity, other);
    return (await executeCount(this.#db, this.#statementsOf(relation).unrelate, values)) > 0;
  }

  #statementsOf(relation: ManyToManyRelation): {
    relate: DialectStatement;
    unrelate: DialectStatement;
  } {
    let statements = this.#statements.get(relation);
    if (statements === undefined) {
      statements = {
        relate: this.#dialect.relate(relation),
        unrelate: this.#dialect.unrelate(relation),
      };
      this.#statements.set(relation, statements);
    }
    return statements;
  }

  #pair(name: string, entity: object, other: object): [ManyToManyRelation, unknown[]] {
    if (this.#schema === undefined) {
      misuse(
        'NO_SCHEMA_REGISTRY',
        'name',
        `${this.#model.name}'s repository has no schema registry with relations`,
      );
    }
    const relation = this.#schema.relationsOf(this.#model).get(name);
    if (relation?.kind !== 'manyToMany') {
      misuse(
        'UNKNOWN_RELATION',
        'name',
        `${name} is not a many-to-many relation of ${this.#model.name}`,
      );
    }
    checkEntity(entity, 'entity');
    checkEntity(other, 'other');
    const ownKey = keyColumnsOf(this.#model)[0] as ModelColumn;
    const otherKey = keyColumnsOf(relation.target)[0] as ModelColumn;
    const own = (entity as Record<string, unknown>)[ownKey.property];
    const theirs = (other as Record<string, unknown>)[otherKey.property];
    checkKey(ownKey, own, 'entity');
    checkKey(otherKey, theirs, 'other');
    return [relation, [toColumnValue(ownKey.codec, own), toColumnValue(otherKey.codec, theirs)]];
  }
}
