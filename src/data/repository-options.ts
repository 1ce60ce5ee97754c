import type { SqlDialect } from './dialect/sql-dialect.js';
import type { RepositoryMessage, RepositoryOutbox } from './repository-outbox.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { SortKey, Where } from './where-clause.js';

/** Options of {@link repository}. */
export interface RepositoryOptions {
  /** Reads outside a transaction go to replicas when the backend has them (HA). Default false. */
  readonly readFromReplicas?: boolean;
  /** Who is saving, for `changedById` of versioned models, when `save` is not told. */
  readonly changedBy?: () => string | null | undefined;
  /** The registry whose relations `fetchRelated`, `relate` and `unrelate` use. */
  readonly schema?: SchemaRegistry;
  /**
   * The SQL the repository writes; default the dialect of the engine the database runs on
   * (`mysqlDialect` on `libretto/mysql`), else `postgresDialect` (PostgreSQL, PGlite).
   */
  readonly dialect?: SqlDialect;
  /**
   * Where the `message` of a write goes (`libretto/messaging`'s `Outbox`); writes with a
   * `message` fail without one.
   */
  readonly outbox?: RepositoryOutbox;
}

/** Per-call options of reads. */
export interface ReadOptions {
  /** Read from a replica (HA) for this call; default the repository's setting. */
  readonly replica?: boolean;
  /** Include soft-deleted entities (inactive versions, `deletedAt` set). */
  readonly includeDeleted?: boolean;
  /**
   * Relations to attach, by path (`['organization', 'organization.members']`): one statement
   * per relation and level. Type what they add with the method's type argument.
   */
  readonly fetchRelated?: readonly string[];
}

/** Options of `getMany`. */
export interface ManyOptions<E> extends ReadOptions {
  readonly where?: Where<E>;
  readonly sort?: SortKey<E> | readonly SortKey<E>[];
  readonly limit?: number;
  readonly offset?: number;
}

/** Options of `search`: one page of matches, with the total over all pages. */
export interface SearchOptions<E> extends ReadOptions {
  readonly where?: Where<E>;
  readonly sort?: SortKey<E> | readonly SortKey<E>[];
  /** From 1 (default 1). */
  readonly page?: number;
  /** 1 to 1000 (default 20). */
  readonly pageSize?: number;
}

/** One page of a search and the number of matches in all pages. */
export interface Page<E> {
  readonly items: E[];
  readonly total: number;
}

/** Options of writes. */
export interface SaveOptions {
  /** `changedById` of the new version (versioned models). */
  readonly changedById?: string | null;
  /**
   * A message added to the outbox in the write's transaction (one opened when none is
   * ambient): published after the commit, never after a rollback. Needs the repository's
   * `outbox`. One message per call, also for `saveAll`, `deleteAll` and `bulkCreate`.
   */
  readonly message?: RepositoryMessage;
}
