import type { DatabaseAdapter } from '../../postgres/database-adapter.js';
import { mysqlDialect } from './mysql-dialect.js';
import { postgresDialect } from './postgres-dialect.js';
import type { SqlDialect } from './sql-dialect.js';

/** What a database may say of itself: the engine it runs on (`libretto/mysql`'s says `mysql`). */
interface EngineAware {
  readonly engine?: { readonly name?: unknown };
}

/**
 * The dialect given, else the one of the engine the database says it runs on, else
 * PostgreSQL's: moving a service to MySQL changes its configuration, not its repositories.
 */
export function dialectOf(db: DatabaseAdapter, given: SqlDialect | undefined): SqlDialect {
  if (given !== undefined) return given;
  return (db as EngineAware).engine?.name === 'mysql' ? mysqlDialect : postgresDialect;
}
