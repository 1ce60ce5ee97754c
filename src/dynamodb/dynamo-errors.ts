import {
  DependencyFailureError,
  DependencyThrottledError,
  DependencyUnavailableError,
} from '../errors/application-errors.js';
import { ConflictError } from '../errors/domain-errors.js';
import type { LibrettoError } from '../errors/libretto-error.js';
import { maskSecrets } from '../internal/redaction.js';

/** What an SDK error carries that the mapping reads. */
interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * An error of the SDK as a typed one naming where (`DynamoDB at …`) and what (the table):
 * unreachable, timed out or failing on its side → DependencyUnavailableError
 * `DYNAMODB_UNAVAILABLE`; throttled → DependencyThrottledError `DYNAMODB_THROTTLED`; a missing
 * table → DependencyFailureError `DYNAMODB_TABLE_MISSING`; another transaction on the same
 * item → ConflictError `DYNAMODB_TRANSACTION_CONFLICT`; any other refusal →
 * DependencyFailureError `DYNAMODB_REJECTED`. The SDK's error is the `cause`.
 */
export function mapDynamoError(
  error: unknown,
  where: string,
  table: string | undefined,
  timedOut = false,
): LibrettoError {
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const on = table === undefined ? '' : ` (table ${table})`;
  const reason = maskSecrets(
    timedOut ? 'no answer in time' : `${name}: ${e.message ?? String(error)}`,
  );
  const details = [{ endpoint: where, ...(table === undefined ? {} : { table }), reason }];
  if (name === 'ResourceNotFoundException') {
    return new DependencyFailureError(
      `DynamoDB table ${table ?? '(unknown)'} does not exist at ${where}: create it with prepare()`,
      { code: 'DYNAMODB_TABLE_MISSING', details, cause: error },
    );
  }
  if (THROTTLED.has(name)) {
    return new DependencyThrottledError(`${where} throttled the request${on}: ${reason}`, {
      code: 'DYNAMODB_THROTTLED',
      details,
      cause: error,
    });
  }
  if (name === 'TransactionConflictException' || name === 'TransactionInProgressException') {
    return new ConflictError(
      `Another transaction was writing the same item at ${where}${on}: try again`,
      { code: 'DYNAMODB_TRANSACTION_CONFLICT', details, cause: error },
    );
  }
  if (timedOut || status === undefined || status >= 500) {
    return new DependencyUnavailableError(`${where} is unavailable${on}: ${reason}`, {
      code: 'DYNAMODB_UNAVAILABLE',
      details,
      cause: error,
    });
  }
  return new DependencyFailureError(`${where} refused the request${on}: ${reason}`, {
    code: 'DYNAMODB_REJECTED',
    details,
    cause: error,
  });
}
