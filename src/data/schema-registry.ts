import { rejectUnknownKeys } from '../errors/invalid-option.js';
import { UsageError } from '../errors/usage-error.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import { dialectOf } from './dialect/dialect-of.js';
import { postgresDialect } from './dialect/postgres-dialect.js';
import type { SqlDialect } from './dialect/sql-dialect.js';
import { fetchRow } from './dialect/statement-runner.js';
import type { TableModel } from './model.js';
import { checkRelation, type Relation } from './relation.js';
import type { SchemaObject } from './schema-definition.js';

const OPTION_KEYS = new Set(['relations', 'dialect']);

/** A table the registry knows: a model's, or its audit table. */
export interface RegisteredTable {
  readonly name: string;
  readonly model: TableModel;
  readonly audit: boolean;
}

/** Options of {@link SchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Relations between the registered models (`belongsTo`, `hasMany`, `manyToMany`). */
  readonly relations?: readonly (Relation | readonly Relation[])[];
  /**
   * The SQL of the DDL; default `postgresDialect` for `ddl()`, and for `ensureSchema(db)` the
   * dialect of the engine the database runs on.
   */
  readonly dialect?: SqlDialect;
}

/**
 * `CREATE TABLE IF NOT EXISTS` for a model's table (and its audit table after it), then its
 * unique constraints, indexes and checks (foreign keys come from relations: `ddl()`).
 *
 * @example
 * tableDdl(Person); // ['CREATE TABLE IF NOT EXISTS "person" (…)', 'CREATE TABLE … "person_audit" …']
 */
export function tableDdl(model: TableModel, dialect: SqlDialect = postgresDialect): string[] {
  return [...dialect.tableDefinitions(model), ...dialect.constraintDefinitions(model)].map((o) =>
    dialect.createStatement(o),
  );
}

/**
 * Every model's table and audit table in one place: the DDL for them, and
 * `ensureSchema()` to create what is missing (development and tests; migrations come later).
 *
 * @example
 * const schema = new SchemaRegistry([Person, Organization]);
 * await schema.ensureSchema(db);
 */
export class SchemaRegistry {
  readonly #models = new Map<string, TableModel>();
  readonly #relations = new Map<TableModel, Map<string, Relation>>();
  readonly #dialect: SqlDialect | undefined;

  constructor(models: readonly TableModel[] = [], options: SchemaRegistryOptions = {}) {
    rejectUnknownKeys('SchemaRegistry', options, OPTION_KEYS);
    this.#dialect = options.dialect;
    for (const m of models) this.register(m);
    for (const r of (options.relations ?? []).flat()) this.relate(r);
  }

  /**
   * Adds a relation; both its models must be registered (UsageError `UNREGISTERED_MODEL`),
   * and its name be new to its model (`DUPLICATE_RELATION`).
   */
  relate(relation: Relation): this {
    checkRelation(relation);
    for (const m of [relation.from, relation.target]) {
      if (this.#models.get(m.table) !== m) {
        throw new UsageError(`Relation ${relation.name}: model ${m.name} is not registered`, {
          code: 'UNREGISTERED_MODEL',
        });
      }
    }
    let byName = this.#relations.get(relation.from);
    if (byName === undefined) {
      byName = new Map();
      this.#relations.set(relation.from, byName);
    }
    if (byName.has(relation.name)) {
      throw new UsageError(`${relation.from.name} already has a relation ${relation.name}`, {
        code: 'DUPLICATE_RELATION',
      });
    }
    byName.set(relation.name, relation);
    return this;
  }

  /** The relations of a model, by name. */
  relationsOf(model: TableModel): ReadonlyMap<string, Relation> {
    return this.#relations.get(model) ?? new Map();
  }

  /** Adds a model; a second model on the same table is a UsageError (`DUPLICATE_TABLE`). */
  register(model: TableModel): this {
    const existing = this.#models.get(model.table);
    if (existing !== undefined && existing !== model) {
      throw new UsageError(
        `Table "${model.table}" is already registered for model ${existing.name}`,
        { code: 'DUPLICATE_TABLE' },
      );
    }
    if (!model.flags.embedded) this.#models.set(model.table, model);
    return this;
  }

  get models(): readonly TableModel[] {
    return [...this.#models.values()];
  }

  /** Every table: each model's, then its audit table. */
  get tables(): readonly RegisteredTable[] {
    return this.models.flatMap((model) => [
      { name: model.table, model, audit: false },
      ...(model.auditTable === undefined ? [] : [{ name: model.auditTable, model, audit: true }]),
    ]);
  }

  /**
   * Every object the DDL creates, in its order: each model's table and audit table, in
   * registration order; then each model's unique indexes, indexes and checks; then the
   * association tables, an index on every foreign-key field and the FOREIGN KEY of every
   * `belongsTo` not opted out — added after every table exists, so that tables need no
   * creation order. Audit tables get no constraints: versions repeat there, and a key in
   * history may name an entity long gone. Names are unique (an index declared by the model
   * and the one a relation asks for on the same field are one). `dialect`: default the
   * registry's, else PostgreSQL's.
   */
  definitions(dialect: SqlDialect = this.#dialect ?? postgresDialect): SchemaObject[] {
    const objects: SchemaObject[] = this.models.flatMap((m) => dialect.tableDefinitions(m));
    for (const m of this.models) objects.push(...dialect.constraintDefinitions(m));
    const seen = new Set(objects.map((o) => `${o.kind}:${o.name}`));
    const add = (o: SchemaObject, to: SchemaObject[] = objects) => {
      const key = `${o.kind}:${o.name}`;
      if (seen.has(key)) return;
      seen.add(key);
      to.push(o);
    };
    const foreignKeys: SchemaObject[] = [];
    for (const byName of this.#relations.values()) {
      for (const r of byName.values()) {
        if (r.kind === 'manyToMany') {
          if (seen.has(`table:${r.through}`)) continue;
          for (const o of dialect.associationDefinitions(r)) add(o);
          continue;
        }
        const table = r.kind === 'belongsTo' ? r.from.table : r.target.table;
        add(dialect.columnIndexDefinition(table, r.foreignKey.column));
        if (r.kind === 'belongsTo' && r.constraint !== undefined) {
          add(dialect.foreignKeyDefinition(r), foreignKeys);
        }
      }
    }
    return [...objects, ...foreignKeys];
  }

  /**
   * The DDL of {@link definitions}: each statement creates its object unless it exists (on
   * MySQL, tables only: its indexes and constraints have no IF NOT EXISTS; `ensureSchema` checks).
   */
  ddl(dialect: SqlDialect = this.#dialect ?? postgresDialect): string[] {
    return this.definitions(dialect).map((o) => dialect.createStatement(o));
  }

  /**
   * Creates what does not exist yet, in one transaction (on MySQL, whose DDL commits by
   * itself, each statement stays done whatever follows).
   */
  async ensureSchema(db: DatabaseAdapter): Promise<void> {
    const dialect = dialectOf(db, this.#dialect);
    const objects = this.definitions(dialect);
    await db.transaction(async (tx) => {
      for (const object of objects) {
        const presence = dialect.presence?.(object);
        if (presence !== undefined && (await fetchRow(tx, presence, [])) !== undefined) continue;
        await tx.execute(dialect.createStatement(object));
      }
    });
  }
}
