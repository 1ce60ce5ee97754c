import type { BelongsToRelation } from '../relation.js';
import type { ForeignKeyDefinition } from '../schema-definition.js';

// The same for every engine: what differs is how a dialect writes it (`createStatement`).
/** The FOREIGN KEY of a belongs-to relation, to the target's key. */
export function foreignKeyDefinition(r: BelongsToRelation): ForeignKeyDefinition {
  const key = r.target.column(r.target.primaryKey[0] as string);
  return {
    kind: 'foreignKey',
    name: r.constraint ?? '',
    table: r.from.table,
    columns: [r.foreignKey.column],
    references: { table: r.target.table, columns: [key?.column ?? 'entity_id'] },
  };
}
