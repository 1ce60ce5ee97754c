import type { ErrorCode } from './error-codes.js';
import { brandError, LibrettoError } from './libretto-error.js';

/**
 * Server code used Libretto wrongly: an invalid option, a commit after a failed statement,
 * work that outlives its transaction, a field name the model lacks. A programming mistake,
 * never the client's: HTTP answers it with a logged 500 carrying the request id. Its `code`
 * names the mistake; `details` give the path and the reason where there is one.
 */
export class UsageError extends LibrettoError {
  static override readonly code: ErrorCode = 'USAGE_ERROR';
  static override readonly defaultMessage: string = 'Libretto used wrongly';
  static {
    brandError(this, 'UsageError');
  }
}
