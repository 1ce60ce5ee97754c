import type { ModelColumn, TableModel } from '../data/model.js';
import type { ManyToManyRelation } from '../data/relation.js';
import type { SchemaRegistry } from '../data/schema-registry.js';
import { UsageError } from '../errors/usage-error.js';
import { field } from './surreal-conditions.js';

/** The field unique indexes add so that only live entities count: true, or a deleted one's own id. */
export const LIVE_FIELD = '_live';

/**
 * Whether a many-to-many relation walks its edges forwards (`->`): edges go from the side
 * declared first (`manyToMany(Investor, …, Investment, …)`: `investor->investswith->investment`)
 * — the same edge for both sides of one relation.
 */
export function edgeOut(r: ManyToManyRelation): boolean {
  return r.declaredFirst;
}

const columnField = (c: { role: string; column: string }): string =>
  c.role === 'key' ? 'id' : field(c.column);

/** The condition a live entity meets, as the value of {@link LIVE_FIELD}. */
function liveValue(model: TableModel): string | undefined {
  if (model.flags.versioned) return 'IF active = true { true } ELSE { id }';
  if (model.flags.softDelete)
    return 'IF deleted_at = NONE OR deleted_at = NULL { true } ELSE { id }';
  return undefined;
}

function modelStatements(model: TableModel, out: string[]): void {
  if (model.constraints.checks.length > 0) {
    const names = model.constraints.checks.map((c) => c.label).join(', ');
    throw new UsageError(
      `${model.name}: SurrealDB cannot enforce checks (${names}): they are SQL text; assert them in code, or use a SQL store`,
      { code: 'SURREAL_UNSUPPORTED', details: [{ resource: model.name, feature: 'checks' }] },
    );
  }
  const table = field(model.table);
  out.push(`DEFINE TABLE IF NOT EXISTS ${table} SCHEMALESS`);
  if (model.auditTable !== undefined) {
    const audit = field(model.auditTable);
    out.push(`DEFINE TABLE IF NOT EXISTS ${audit} SCHEMALESS`);
    out.push(
      `DEFINE INDEX IF NOT EXISTS ${field(`${model.auditTable}_entity_idx`)} ON ${audit} FIELDS entity_id`,
    );
  }
  const live = liveValue(model);
  if (model.constraints.unique.length > 0 && live !== undefined) {
    out.push(`DEFINE FIELD OVERWRITE ${LIVE_FIELD} ON ${table} VALUE ${live}`);
  }
  for (const u of model.constraints.unique) {
    const fields = u.columns.map(columnField);
    if (live !== undefined) fields.push(LIVE_FIELD);
    out.push(
      `DEFINE INDEX IF NOT EXISTS ${field(u.name)} ON ${table} FIELDS ${fields.join(', ')} UNIQUE`,
    );
  }
  for (const i of model.constraints.indexes) {
    out.push(
      `DEFINE INDEX IF NOT EXISTS ${field(i.name)} ON ${table} FIELDS ${i.columns.map(columnField).join(', ')}`,
    );
  }
}

/**
 * The SurrealQL that prepares a registry's models: a schemaless table per model and audit
 * table, unique indexes counting live entities only, the model's indexes, an index on every
 * record-link field, an edge table per many-to-many relation (one edge per pair: its id is
 * `[in, out]`). Every statement is idempotent.
 */
export function prepareSchema(registry: SchemaRegistry): string {
  const out: string[] = [];
  for (const model of registry.models) modelStatements(model, out);
  const seen = new Set<string>();
  for (const model of registry.models) {
    for (const r of registry.relationsOf(model).values()) {
      if (r.kind === 'manyToMany') {
        if (seen.has(r.through)) continue;
        seen.add(r.through);
        const edge = field(r.through);
        out.push(`DEFINE TABLE IF NOT EXISTS ${edge} TYPE RELATION SCHEMALESS`);
        out.push(
          `DEFINE INDEX IF NOT EXISTS ${field(`${r.through}_out_idx`)} ON ${edge} FIELDS out`,
        );
        continue;
      }
      const holder = r.kind === 'belongsTo' ? r.from : r.target;
      const column: ModelColumn = r.foreignKey;
      const name = `${holder.table}_${column.column}_link_idx`;
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(
        `DEFINE INDEX IF NOT EXISTS ${field(name)} ON ${field(holder.table)} FIELDS ${field(column.column)}`,
      );
    }
  }
  return out.length === 0 ? '' : `${out.join(';\n')};`;
}
