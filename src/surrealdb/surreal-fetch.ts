import { RecordId } from 'surrealdb';
import type { Model, TableModel } from '../data/model.js';
import type { Relation } from '../data/relation.js';
import type { RelatedPlan } from '../data/relation-loader.js';
import { field, liveCondition } from './surreal-conditions.js';
import type { RecordCodec } from './surreal-records.js';

type Doc = Record<string, unknown>;
type Entity = Record<string, unknown>;
type Node = { relation: Relation; children: RelatedPlan };

/** The codec of a related model (same schema, made once per repository). */
export type CodecOf = (model: TableModel) => RecordCodec;

/** What a read selects besides `*`, and what it FETCHes. */
export interface RelatedSelect {
  /** `, (SELECT …) AS rel_members`, or ''. */
  readonly projections: string;
  /** ` FETCH organization_id, organization_id.owner_id`, or ''. */
  readonly fetch: string;
}

const alias = (r: Relation): string => field(`rel_${r.name}`);

/** Whether every relation below is a `belongsTo`: a chain SurrealDB's FETCH follows by itself. */
function linkChain(node: Node): boolean {
  return (
    node.relation.kind === 'belongsTo' && [...node.children.values()].every((c) => linkChain(c))
  );
}

function fetchPaths(tree: RelatedPlan, prefix: string, out: string[]): void {
  for (const node of tree.values()) {
    const r = node.relation;
    if (r.kind !== 'belongsTo') continue;
    const path = `${prefix}${field(r.foreignKey.column)}`;
    out.push(path);
    fetchPaths(node.children, `${path}.`, out);
  }
}

/** `WHERE …` of the related rows of one relation, the live condition with it. */
function scoped(target: TableModel, condition: string): string {
  const live = liveCondition(target);
  const all = [condition, live].filter((c) => c !== '');
  return all.length === 0 ? '' : ` WHERE ${all.join(' AND ')}`;
}

/**
 * The SurrealQL of `fetchRelated`: chains of `belongsTo` links are SurrealDB's own FETCH
 * (`FETCH person_id, person_id.login_method_id`); a `hasMany` is a subquery on the field
 * linking back (`SELECT … FROM member WHERE organization_id = $parent.id`); a many-to-many
 * relation walks its edges (`$parent.id->invests_with->investment`); each may nest the others
 * below it. One query, whatever the depth: no join is done in JavaScript.
 */
export function relatedSelect(tree: RelatedPlan, edgeOut: (r: Relation) => boolean): RelatedSelect {
  const projections: string[] = [];
  const chains = new Map<string, Node>();
  for (const [name, node] of tree) {
    if (linkChain(node) && node.relation.kind === 'belongsTo') {
      chains.set(name, node);
      // FETCH turns a link naming no record into null: the key is kept beside it.
      const fk = field(node.relation.foreignKey.column);
      projections.push(
        `, (IF ${fk} { record::id(${fk}) } ELSE { NULL }) AS ${field(`key_${node.relation.name}`)}`,
      );
    } else projections.push(`, ${subquery(node, edgeOut)} AS ${alias(node.relation)}`);
  }
  const fetch: string[] = [];
  fetchPaths(chains, '', fetch);
  return {
    projections: projections.join(''),
    fetch: fetch.length === 0 ? '' : ` FETCH ${fetch.join(', ')}`,
  };
}

function subquery(node: Node, edgeOut: (r: Relation) => boolean): string {
  const r = node.relation;
  const inner = relatedSelect(node.children, edgeOut);
  const target = r.target;
  const select = `SELECT *${inner.projections}`;
  if (r.kind === 'belongsTo') {
    const link = `$parent.${field(r.foreignKey.column)}`;
    return `(IF ${link} != NONE AND ${link} != NULL { (${select} FROM ${link}${inner.fetch})[0] } ELSE { NULL })`;
  }
  if (r.kind === 'hasMany') {
    const on = `${field(r.foreignKey.column)} = $parent.id`;
    return `(${select} FROM ${field(target.table)}${scoped(target, on)}${inner.fetch})`;
  }
  const walk = edgeOut(r)
    ? `$parent.id->${field(r.through)}->${field(target.table)}`
    : `$parent.id<-${field(r.through)}<-${field(target.table)}`;
  return `(${select} FROM ${walk}${scoped(target, '')}${inner.fetch})`;
}

function isDoc(value: unknown): value is Doc {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof RecordId) &&
    !Array.isArray(value)
  );
}

/** A fetched record, unless it is deleted (as the SQL stores load only live related rows). */
function live(model: TableModel, doc: Doc): boolean {
  if (model.flags.versioned) return doc.active === true;
  if (model.flags.softDelete) return doc.deleted_at === null || doc.deleted_at === undefined;
  return true;
}

/** Puts the related entities a read fetched onto the entity, by relation name. */
export function attachRelated(tree: RelatedPlan, codecOf: CodecOf, doc: Doc, entity: Entity): void {
  for (const node of tree.values()) {
    const r = node.relation;
    const codec = codecOf(r.target);
    const toEntity = (d: Doc): Entity => {
      const e = codec.fromDoc(d);
      attachRelated(node.children, codecOf, d, e);
      return e;
    };
    if (r.kind === 'belongsTo' && linkChain(node)) {
      const fetched = doc[r.foreignKey.column];
      entity[r.name] = isDoc(fetched) && live(r.target, fetched) ? toEntity(fetched) : null;
      const key = doc[`key_${r.name}`];
      if (!isDoc(fetched) && key !== undefined && key !== null) entity[r.foreignKey.property] = key;
      continue;
    }
    const found = doc[`rel_${r.name}`];
    if (r.kind === 'belongsTo') {
      entity[r.name] = isDoc(found) && live(r.target, found) ? toEntity(found) : null;
    } else {
      entity[r.name] = Array.isArray(found) ? found.filter(isDoc).map(toEntity) : [];
    }
  }
}

/** The models a plan reaches, for making their codecs. */
export function modelsOf(tree: RelatedPlan, out = new Set<Model>()): Set<Model> {
  for (const node of tree.values()) {
    out.add(node.relation.target as Model);
    modelsOf(node.children, out);
  }
  return out;
}
