import { InvalidOperationError } from '../errors/application-errors.js';
import type { DatabaseAdapter } from '../postgres/database-adapter.js';
import type { ModelColumn, TableModel } from './model.js';

/** A table the registry knows: a model's, or its audit table. */
export interface RegisteredTable {
  readonly name: string;
  readonly model: TableModel;
  readonly audit: boolean;
}

const quote = (name: string) => `"${name}"`;

function columnLine(c: ModelColumn, audit: boolean): string {
  const notNull = c.codec.nullable || c.role === 'computed' ? '' : ' NOT NULL';
  const fallback = c.role === 'extra' && !audit ? " DEFAULT '{}'::jsonb" : '';
  return `  ${quote(c.column)} ${c.codec.sqlType}${notNull}${fallback}`;
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

  constructor(models: readonly TableModel[] = []) {
    for (const m of models) this.register(m);
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

  /** The DDL statements for every table, in registration order. */
  ddl(): string[] {
    return this.models.flatMap(tableDdl);
  }

  /** Creates the tables that do not exist yet, in one transaction. */
  async ensureSchema(db: DatabaseAdapter): Promise<void> {
    const statements = this.ddl();
    await db.transaction(async (tx) => {
      for (const statement of statements) await tx.execute(statement);
    });
  }
}
