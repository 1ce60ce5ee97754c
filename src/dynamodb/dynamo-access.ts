import type * as Documents from '@aws-sdk/lib-dynamodb';
import type { DynamoSettings } from './dynamo-settings.js';
import type { TableLayouts } from './dynamo-tables.js';
import type { DynamoTransaction } from './dynamo-transaction.js';

/** The document client's module, loaded on first use (an optional peer). */
export type DocumentSdk = typeof Documents;

/**
 * What repositories need of their store: the commands, a `send` that turns failures into
 * typed errors naming the table, the table layouts, the ambient transaction.
 */
export interface DynamoAccess {
  readonly settings: DynamoSettings;
  readonly sdk: DocumentSdk;
  readonly tables: TableLayouts;
  /**
   * Sends a command; failures become typed errors naming `table`, except a failed condition
   * (`ConditionalCheckFailedException`, `TransactionCanceledException`), which the caller reads.
   */
  send<T>(command: object, table: string | undefined): Promise<T>;
  /** The ambient transaction of this store, if any. */
  current(): DynamoTransaction | undefined;
  /** Runs `work` in a transaction (the ambient one, or a new one written when it ends). */
  transaction<T>(work: () => Promise<T>): Promise<T>;
}
