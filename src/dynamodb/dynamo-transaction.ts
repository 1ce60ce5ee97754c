import { UsageError } from '../errors/usage-error.js';
import type { Item } from './dynamo-items.js';

/** What a write asks of the item before it: none, absent, present, or at a version. */
export type WriteCondition =
  | undefined
  | 'absent'
  | 'present'
  | { readonly attribute: string; readonly value: unknown };

/** One item of a `TransactWriteItems`, with what its repository needs around it. */
export interface TransactionWrite {
  /** `{ Put: … }`, `{ Update: … }` or `{ Delete: … }`. */
  readonly item: Readonly<Record<string, unknown>>;
  /** Table and key, as text: two writes of one item in one transaction are one write. */
  readonly target: string;
  /** The condition on the item as stored before the transaction. */
  readonly condition: WriteCondition;
  /** The version this write leaves on a versioned item (a later save in the transaction must start from it). */
  readonly version?: unknown;
  /** The error when the condition fails: `stored` is the item as stored then, when DynamoDB says. */
  readonly conflict: (stored: Item | undefined) => Error;
  /** Runs once the transaction is written. */
  readonly committed?: () => void;
}

/** The most items one `TransactWriteItems` takes. */
export const TRANSACTION_LIMIT = 100;

/**
 * The writes of one ambient transaction, sent as one `TransactWriteItems` when its work ends
 * (nothing is sent when it throws). Reads inside it go to the table: they do not see its
 * writes. A second write of an item replaces the first, keeping its condition (DynamoDB
 * takes one operation per item); past {@link TRANSACTION_LIMIT} items it fails at once.
 */
export class DynamoTransaction {
  readonly #writes: TransactionWrite[] = [];
  readonly #at = new Map<string, number>();
  #failed: Error | undefined;

  /** The write of this item pending in the transaction, if any. */
  pending(target: string): TransactionWrite | undefined {
    const i = this.#at.get(target);
    return i === undefined ? undefined : this.#writes[i];
  }

  /** Adds a write (or replaces the pending one of its item). */
  add(write: TransactionWrite): void {
    if (this.#failed !== undefined) throw this.#failed;
    const i = this.#at.get(write.target);
    if (i !== undefined) {
      this.#writes[i] = write;
      return;
    }
    if (this.#writes.length === TRANSACTION_LIMIT) {
      this.#failed = new UsageError(
        `A DynamoDB transaction writes at most ${TRANSACTION_LIMIT} items (a versioned save is two: the item and its version): split the work`,
        {
          code: 'DYNAMODB_TRANSACTION_TOO_LARGE',
          details: [{ limit: TRANSACTION_LIMIT, message: 'too many items in one transaction' }],
        },
      );
      throw this.#failed;
    }
    this.#at.set(write.target, this.#writes.length);
    this.#writes.push(write);
  }

  /** The writes, in order; throws when one was refused (a caught refusal does not commit). */
  writes(): readonly TransactionWrite[] {
    if (this.#failed !== undefined) throw this.#failed;
    return this.#writes;
  }
}
