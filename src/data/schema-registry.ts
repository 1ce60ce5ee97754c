import { InvalidOperationError } from '../errors/application-errors.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import type { ModelColumn, TableModel } from './model.js';
import { checkRelation, type Relation } from './relation.js';
import { quote } from './sql-names.js';

/** A table the registry knows: a model's, or its audit table. */
export interface RegisteredTable {
  readonly name: string;
  readonly model: TableModel;
  readonly audit: boolean;
}

function columnLine(c: ModelColumn, audit: boolean): string {
  const notNull = c.codec.nullable || c.role === 'computed' ? '' : ' NOT NULL';
  const fallback = c.role === 'extra' && !audit ? " DEFAULT '{}'::jsonb" : '';
  return `  ${quote(c.column)} ${c.codec.sqlType}${notNull}${fallback}`;
}

function keyType(model: TableModel): string {
  return model.column(model.primaryKey[0] as string)?.codec.sqlType ?? 'uuid';
}

function indexDdl(table: string, column: string): string {
  const name = `${table}_${column}`.slice(0, 59);
  return `CREATE INDEX IF NOT EXISTS ${quote(`${name}_idx`)} ON ${quote(table)} (${quote(column)})`;
}

/** `CREATE TABLE IF NOT EXISTS` for a model's table (and its audit table after it). */
export function tableDdl(model: TableModel): string[] {
  const keys = model.primaryKey.map((p) => quote(model.column(p)?.column ?? p)).join(', ');
  const lines = model.columns.map((c) => columnLine(c, false));
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${quote(model.table)} (\n${lines.join(',\n')},\n  PRIMARY KEY (${keys})\n)`,
  ];
  if (model.auditTable !== undefined) {
    // Every replaced version: the same columns, keyed by entity and version.
    const auditLines = model.columns.map((c) => columnLine(c, true));
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${quote(model.auditTable)} (\n${auditLines.join(',\n')},\n  PRIMARY KEY ("entity_id", "version")\n)`,
    );
  }
  return statements;
}

/**
 * Every model's table and audit table in one place (SPEC REPO-10): the DDL for them, and
 * `ensureSchema()` to create what is missing (development and tests; migrations come later).
 *
 * @example
 * const schema = new SchemaRegistry([Person, Organization]);
 * await schema.ensureSchema(db);
 */
export class SchemaRegistry {
  readonly #models = new Map<string, TableModel>();
  readonly #relations = new Map<TableModel, Map<string, Relation>>();

  constructor(
    models: readonly TableModel[] = [],
    options: { readonly relations?: readonly (Relation | readonly Relation[])[] } = {},
  ) {
    for (const m of models) this.register(m);
    for (const r of (options.relations ?? []).flat()) this.relate(r);
  }

  /** Adds a relation (SPEC REPO-8); both its models must be registered. */
  relate(relation: Relation): this {
    checkRelation(relation);
    for (const m of [relation.from, relation.target]) {
      if (this.#models.get(m.table) !== m) {
        throw new InvalidOperationError(
          `Relation ${relation.name}: model ${m.name} is not registered`,
        );
      }
    }
    let byName = this.#relations.get(relation.from);
    if (byName === undefined) {
      byName = new Map();
      this.#relations.set(relation.from, byName);
    }
    if (byName.has(relation.name)) {
      throw new InvalidOperationError(
        `${relation.from.name} already has a relation ${relation.name}`,
      );
    }
    byName.set(relation.name, relation);
    return this;
  }

  /** The relations of a model, by name. */
  relationsOf(model: TableModel): ReadonlyMap<string, Relation> {
    return this.#relations.get(model) ?? new Map();
  }

  /** Adds a model; a second model on the same table is an error. */
  register(model: TableModel): this {
    const existing = this.#models.get(model.table);
    if (existing !== undefined && existing !== model) {
      throw new InvalidOperationError(
        `Table "${model.table}" is already registered for model ${existing.name}`,
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
   * The DDL statements for every table, in registration order, then the association tables
   * and an index on every foreign-key field (no REFERENCES constraints: a key may point to a
   * hard-deleted entity whose history remains, and tables need no creation order).
   */
  ddl(): string[] {
    const statements = this.models.flatMap(tableDdl);
    const seen = new Set<string>();
    for (const byName of this.#relations.values()) {
      for (const r of byName.values()) {
        if (r.kind === 'manyToMany') {
          if (seen.has(r.through)) continue;
          seen.add(r.through);
          const a = keyType(r.from);
          const b = keyType(r.target);
          statements.push(
            `CREATE TABLE IF NOT EXISTS ${quote(r.through)} (${quote(r.fromColumn)} ${a} NOT NULL, ${quote(r.targetColumn)} ${b} NOT NULL, PRIMARY KEY (${quote(r.fromColumn)}, ${quote(r.targetColumn)}))`,
            indexDdl(r.through, r.targetColumn),
          );
        } else {
          const table = r.kind === 'belongsTo' ? r.from.table : r.target.table;
          const key = `${table}.${r.foreignKey.column}`;
          if (seen.has(key)) continue;
          seen.add(key);
          statements.push(indexDdl(table, r.foreignKey.column));
        }
      }
    }
    return statements;
  }

  /** Creates the tables that do not exist yet, in one transaction. */
  async ensureSchema(db: DatabaseAdapter): Promise<void> {
    const statements = this.ddl();
    await db.transaction(async (tx) => {
      for (const statement of statements) await tx.execute(statement);
    });
  }
}
