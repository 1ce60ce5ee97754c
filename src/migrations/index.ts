// libretto/migrations: migration files applied and reverted under a lock, checksummed, on
// PostgreSQL and MySQL/MariaDB.
export {
  compareIds,
  createMigrationFile,
  findMigrationsDirectory,
  type NewMigrationOptions,
  readMigrationFiles,
  STANDARD_MIGRATION_DIRS,
} from './migration-directory.js';
export {
  checksumOf,
  type MigrationFile,
  type MigrationModule,
  parseSqlMigration,
  type SqlMigration,
  type SqlPart,
} from './migration-file.js';
export {
  type AppliedMigration,
  MIGRATIONS_TABLE,
  type MigrationFailure,
} from './migration-history.js';
export { MigrationService, type MigrationServiceOptions } from './migration-service.js';
export { MigrationsConfig } from './migrations-config.js';
export {
  type MigrationEvent,
  type MigrationState,
  type MigrationStatus,
  Migrator,
  type MigratorOptions,
} from './migrator.js';
export {
  type IntrospectOptions,
  introspectSchema,
  type LiveColumn,
  type LiveConstraint,
  type LiveIndex,
  type LiveSchema,
  type LiveTable,
} from './schema-introspection.js';
export {
  generateSchemaMigration,
  type SchemaMigration,
  type SchemaMigrationOptions,
  type SchemaSource,
} from './schema-migration.js';
export { type ScriptDialect, type ScriptStatement, splitStatements } from './sql-script.js';
