import { quote } from '../data/dialect/postgres-conditions.js';
import {
  columnSql,
  constraintSql,
  createIndexSql,
  createTableSql,
} from '../data/dialect/postgres-schema.js';
import type {
  CheckDefinition,
  ColumnDefinition,
  ForeignKeyDefinition,
  IndexDefinition,
  SchemaObject,
  TableDefinition,
} from '../data/schema-definition.js';
import type { LiveColumn, LiveSchema, LiveTable } from './schema-introspection.js';

/**
 * One change and its reverse. `destructive` says why it may lose data or refuse rows that
 * were accepted; such a change is written commented out unless allowed. A change with no
 * `up` is a note for the reader only.
 */
export interface SchemaChange {
  readonly up: string;
  readonly down: string;
  readonly destructive?: string;
  readonly note?: string;
}

const alter = (table: string, what: string): string => `ALTER TABLE ${quote(table)} ${what}`;
const byName = <T extends { readonly name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** `character varying(100)` → `character varying`. */
const baseType = (type: string): string => type.replace(/\(.*\)$/, '');

/**
 * Type changes that keep every value as it is: a wider integer, a number type holding any
 * value of the narrower one, text for anything written as text. Others may fail or lose data.
 */
const WIDENS: Readonly<Record<string, readonly string[]>> = {
  smallint: ['integer', 'bigint', 'numeric', 'double precision'],
  integer: ['bigint', 'numeric', 'double precision'],
  bigint: ['numeric'],
  real: ['double precision'],
  uuid: ['text'],
  'character varying': ['text'],
  character: ['text'],
};

function widens(from: string, to: string): boolean {
  const base = baseType(from);
  // `numeric(10,2)` → `numeric`, `character varying(100)` → `character varying`: a limit lifted.
  if (base === to) return from !== to;
  return WIDENS[base]?.includes(to) === true;
}

/** `"active"` and `active` are the same condition: PostgreSQL prints names bare when it can. */
const condition = (sql: string | undefined): string | undefined =>
  sql?.replace(/"([a-z_][a-z0-9_]*)"/g, '$1').replace(/^\((.*)\)$/, '$1');

/** A column of the live database as a definition, to write it back. */
const liveColumn = (c: LiveColumn): ColumnDefinition => ({
  name: c.name,
  type: c.type,
  notNull: c.notNull,
  default: c.default,
});

function createLiveTable(t: LiveTable): string {
  const primaryKey = t.primaryKey?.columns ?? [];
  return createTableSql(
    { kind: 'table', name: t.name, columns: t.columns.map(liveColumn), primaryKey },
    false,
  );
}

/** What the registry wants of the database: its definitions, with types PostgreSQL's way. */
export interface DesiredSchema {
  readonly objects: readonly SchemaObject[];
  /** Each definition's type (`timestamptz`) as `format_type` prints it. */
  readonly typeName: (type: string) => string;
}

/**
 * The changes that take `live` to `desired`, in the order they run: new tables (in the
 * registry's order), then column changes table by table, then new indexes and checks table
 * by table (by name), then foreign keys, then — destructive — what the registry no longer
 * has: constraints and indexes, columns, tables.
 */
export function schemaChanges(desired: DesiredSchema, live: LiveSchema): SchemaChange[] {
  const liveTables = new Map(live.tables.map((t) => [t.name, t]));
  const tables = desired.objects.filter((o): o is TableDefinition => o.kind === 'table');
  const wanted = new Set(tables.map((t) => t.name));
  const changes: SchemaChange[] = [];

  for (const t of tables) {
    if (liveTables.has(t.name)) continue;
    changes.push({ up: createTableSql(t, false), down: `DROP TABLE ${quote(t.name)}` });
  }
  for (const t of tables) {
    const current = liveTables.get(t.name);
    if (current !== undefined) changes.push(...columnChanges(t, current, desired.typeName));
  }

  const objectsOf = (table: string, kinds: readonly string[]) =>
    desired.objects
      .filter(
        (o): o is IndexDefinition | CheckDefinition | ForeignKeyDefinition =>
          o.kind !== 'table' && o.table === table && kinds.includes(o.kind),
      )
      .sort(byName);
  const names = new Set<string>();
  for (const kinds of [['index', 'check'], ['foreignKey']]) {
    for (const t of tables) {
      for (const o of objectsOf(t.name, kinds)) {
        names.add(`${o.table}.${o.name}`);
        changes.push(...objectChanges(o, liveTables.get(o.table)));
      }
    }
  }

  // What the registry no longer has; a table dropped takes its own indexes with it.
  const drops: SchemaChange[] = [];
  const columnDrops: SchemaChange[] = [];
  const tableDrops: SchemaChange[] = [];
  for (const t of [...live.tables].sort(byName)) {
    const kept = wanted.has(t.name);
    for (const c of [...t.constraints].sort(byName)) {
      if (kept ? names.has(`${t.name}.${c.name}`) : c.kind !== 'foreignKey') continue;
      drops.push({
        up: alter(t.name, `DROP CONSTRAINT ${quote(c.name)}`),
        down: alter(t.name, `ADD CONSTRAINT ${quote(c.name)} ${c.definition}`),
        destructive: `${t.name} loses the constraint ${c.name}`,
      });
    }
    if (!kept) {
      const restore = [
        createLiveTable(t),
        ...t.indexes.filter((i) => !i.constraint).map((i) => i.definition),
        ...t.constraints
          .filter((c) => c.kind !== 'foreignKey')
          .map((c) => alter(t.name, `ADD CONSTRAINT ${quote(c.name)} ${c.definition}`)),
      ];
      tableDrops.push({
        up: `DROP TABLE ${quote(t.name)}`,
        down: restore.join(';\n'),
        destructive: `the table ${t.name} is not in the registry: dropping it deletes its rows`,
        note: `the rows of ${t.name} are not restored`,
      });
      continue;
    }
    for (const i of [...t.indexes].sort(byName)) {
      if (i.constraint || names.has(`${t.name}.${i.name}`)) continue;
      drops.push({
        up: `DROP INDEX ${quote(i.name)}`,
        down: i.definition,
        destructive: `${t.name} loses the ${i.unique ? 'unique ' : ''}index ${i.name}`,
      });
    }
    const columns = new Set(tables.find((d) => d.name === t.name)?.columns.map((c) => c.name));
    for (const c of t.columns) {
      if (columns.has(c.name)) continue;
      columnDrops.push({
        up: alter(t.name, `DROP COLUMN ${quote(c.name)}`),
        down: alter(t.name, `ADD COLUMN ${columnSql(liveColumn(c))}`),
        destructive: `${t.name}.${c.name} is not in the registry: dropping it deletes its values`,
        note: `the values of ${t.name}.${c.name} are not restored`,
      });
    }
  }
  return [...changes, ...drops, ...columnDrops, ...tableDrops];
}

/** Added columns, and changes of type, nullability and default, in the registry's order. */
function columnChanges(
  t: TableDefinition,
  live: LiveTable,
  typeName: (type: string) => string,
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const at = (c: { name: string }) => `${t.name}.${c.name}`;
  const column = (c: ColumnDefinition, what: string) =>
    alter(t.name, `ALTER COLUMN ${quote(c.name)} ${what}`);
  const key = t.primaryKey.join(',');
  if (live.primaryKey !== undefined && live.primaryKey.columns.join(',') !== key) {
    changes.push({
      up: '',
      down: '',
      note: `the primary key of ${t.name} is (${live.primaryKey.columns.join(', ')}), the registry's (${t.primaryKey.join(', ')}): change it by hand`,
    });
  }
  for (const c of t.columns) {
    const current = live.columns.find((l) => l.name === c.name);
    if (current === undefined) {
      const filled = !c.notNull || c.default !== undefined;
      changes.push({
        up: alter(t.name, `ADD COLUMN ${columnSql(c)}`),
        down: alter(t.name, `DROP COLUMN ${quote(c.name)}`),
        ...(filled
          ? {}
          : {
              note: `${at(c)} is NOT NULL without a default: adding it fails while ${t.name} has rows`,
            }),
      });
      continue;
    }
    const type = typeName(c.type);
    if (type !== current.type) {
      const change = {
        up: column(c, `TYPE ${c.type} USING ${quote(c.name)}::${c.type}`),
        down: column(c, `TYPE ${current.type} USING ${quote(c.name)}::${current.type}`),
      };
      changes.push(
        widens(current.type, type)
          ? change
          : {
              ...change,
              destructive: `${at(c)} changes from ${current.type} to ${type}: values may not fit`,
            },
      );
    }
    if (c.notNull && !current.notNull) {
      changes.push({
        up: column(c, 'SET NOT NULL'),
        down: column(c, 'DROP NOT NULL'),
        destructive: `${at(c)} becomes NOT NULL: fails while a row holds NULL there`,
      });
    } else if (!c.notNull && current.notNull) {
      changes.push({ up: column(c, 'DROP NOT NULL'), down: column(c, 'SET NOT NULL') });
    }
    if (c.default !== current.default) {
      const set = (d: string | undefined) =>
        d === undefined ? 'DROP DEFAULT' : `SET DEFAULT ${d}`;
      changes.push({ up: column(c, set(c.default)), down: column(c, set(current.default)) });
    }
  }
  return changes;
}

/** An index or constraint the registry has: added, or replaced when it differs. */
function objectChanges(
  o: IndexDefinition | CheckDefinition | ForeignKeyDefinition,
  table: LiveTable | undefined,
): SchemaChange[] {
  if (o.kind === 'index') {
    const create = { up: createIndexSql(o, false), down: `DROP INDEX ${quote(o.name)}` };
    const current = table?.indexes.find((i) => i.name === o.name);
    if (current === undefined) return [create];
    const same =
      current.unique === o.unique &&
      current.columns.join(',') === o.columns.join(',') &&
      condition(current.where) === condition(o.where);
    if (same) return [];
    return [{ up: `DROP INDEX ${quote(o.name)}`, down: current.definition }, create];
  }
  const add = {
    up: alter(o.table, `ADD CONSTRAINT ${quote(o.name)} ${constraintSql(o)}`),
    down: alter(o.table, `DROP CONSTRAINT ${quote(o.name)}`),
  };
  const current = table?.constraints.find((c) => c.name === o.name);
  if (current === undefined) return [add];
  // A check is known by its name: PostgreSQL rewrites its expression, so texts do not compare.
  if (o.kind === 'check') return [];
  const same =
    current.columns.join(',') === o.columns.join(',') &&
    current.references?.table === o.references.table &&
    current.references.columns.join(',') === o.references.columns.join(',');
  if (same) return [];
  return [
    {
      up: alter(o.table, `DROP CONSTRAINT ${quote(o.name)}`),
      down: alter(o.table, `ADD CONSTRAINT ${quote(o.name)} ${current.definition}`),
    },
    add,
  ];
}
