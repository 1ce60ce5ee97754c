export type { FieldKind } from './field-codec.js';
export { type DomainMapping, MappedRepository, mappedRepository } from './mapped-repository.js';
export {
  type ColumnRole,
  columnName,
  Model,
  type ModelColumn,
  model,
  type ToDictOptions,
} from './model.js';
export type {
  EntityOf,
  Fields,
  IdOf,
  InputOf,
  ModelOptions,
  SoftDeleteFields,
  TimestampFields,
  VersionFields,
} from './model-types.js';
export { provideRepository, type RepositoryOf } from './provide-repository.js';
export { belongsTo, hasMany, manyToMany, type Relation } from './relation.js';
export {
  type ManyOptions,
  type Page,
  type ReadOptions,
  Repository,
  type RepositoryOptions,
  repository,
  type SaveOptions,
  type SearchOptions,
} from './repository.js';
export { type RegisteredTable, SchemaRegistry, tableDdl } from './schema-registry.js';
export { type Condition, escapeLike, type SortKey, type Where } from './where-clause.js';
