import type { DatabaseAdapter } from '../postgres/database-adapter.js';

/**
 * A message a repository write adds to the outbox, committed with the write: the queue, the
 * payload (any JSON value) and what `Broker.send` takes beside it.
 */
export interface RepositoryMessage {
  readonly queue: string;
  readonly data: unknown;
  /** The ordering key: messages of one key are published in commit order. */
  readonly key?: string | null | undefined;
  /** What the message means (`PersonCreated`). */
  readonly type?: string | null | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The message id (a new UUID by default): a consumer's inbox dedupes on it. */
  readonly id?: string | undefined;
}

/**
 * Where a repository puts the message of a write (`save(entity, { message })`): the
 * seam `libretto/messaging`'s `Outbox` fills. The data layer cannot import messaging (one
 * layer), so the repository knows only this shape; `Outbox` has it.
 */
export interface RepositoryOutbox {
  /** Adds `message` through `db` (the write's transaction) and resolves with its id. */
  addMessage(db: DatabaseAdapter, message: RepositoryMessage): Promise<string>;
}
