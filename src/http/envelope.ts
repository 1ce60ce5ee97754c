import type { ErrorCode } from '../errors/error-codes.js';
import type { ErrorDetail } from '../errors/libretto-error.js';

/** The JSON body of a success answer. */
export interface SuccessEnvelope {
  readonly success: true;
  readonly data: unknown;
  readonly error: null;
}

/** The JSON body of an error answer. */
export interface ErrorEnvelope {
  readonly success: false;
  readonly data: null;
  readonly error: {
    readonly message: string;
    readonly code: ErrorCode;
    readonly details: readonly ErrorDetail[];
    /** On answers to errors that were logged (the server's): the request id to look for. */
    readonly requestId?: string;
  };
}

/** Wraps a handler's data: `{ success: true, data, error: null }` (`undefined` becomes `null`). */
export function successEnvelope(data: unknown): SuccessEnvelope {
  return { success: true, data: data === undefined ? null : data, error: null };
}

/** `{ success: false, data: null, error: { message, code, details[, requestId] } }`. */
export function errorEnvelope(
  code: ErrorCode,
  message: string,
  details: readonly ErrorDetail[],
  requestId?: string,
): ErrorEnvelope {
  return {
    success: false,
    data: null,
    error:
      requestId === undefined ? { message, code, details } : { message, code, details, requestId },
  };
}
