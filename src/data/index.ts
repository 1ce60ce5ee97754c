export { MysqlDialect, mysqlDialect } from './dialect/mysql-dialect.js';
export { escapeLike } from './dialect/postgres-conditions.js';
export { PostgresDialect, postgresDialect } from './dialect/postgres-dialect.js';
export type {
  Comparison,
  DialectStatement,
  Predicate,
  ReadQuery,
  SortItem,
  SqlDialect,
} from './dialect/sql-dialect.js';
export type { FieldKind, StorageType } from './field-codec.js';
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
  CheckConstraint,
  ColumnConstraint,
  ConstraintColumn,
  FieldList,
  ModelConstraints,
} from './model-constraints.js';
export type { ModelRepository } from './model-repository.js';
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
export {
  type ProvideRepositoryOptions,
  provideRepository,
  type RepositoryOf,
} from './provide-repository.js';
export {
  type BelongsToOptions,
  type BelongsToRelation,
  belongsTo,
  hasMany,
  type ManyToManyRelation,
  manyToMany,
  type Relation,
} from './relation.js';
export { Repository, repository } from './repository.js';
export type {
  ManyOptions,
  Page,
  ReadOptions,
  RepositoryOptions,
  SaveOptions,
  SearchOptions,
} from './repository-options.js';
export type { RepositoryMessage, RepositoryOutbox } from './repository-outbox.js';
export type {
  CheckDefinition,
  ColumnDefinition,
  ForeignKeyDefinition,
  IndexDefinition,
  SchemaObject,
  TableDefinition,
} from './schema-definition.js';
export {
  type RegisteredTable,
  SchemaRegistry,
  type SchemaRegistryOptions,
  tableDdl,
} from './schema-registry.js';
export type { Condition, SortKey, Where } from './where-clause.js';
