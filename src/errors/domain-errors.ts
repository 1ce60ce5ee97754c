import type { ErrorCode } from './error-codes.js';
import { brandError, LibrettoError } from './libretto-error.js';

/** Base of errors raised by domain rules. */
export class DomainError extends LibrettoError {
  static override readonly code: ErrorCode = 'DOMAIN_ERROR';
  static override readonly defaultMessage: string = 'Domain rule violated';
  static {
    brandError(this, 'DomainError');
  }
}

/** Input breaks a domain invariant. HTTP: 422 UNPROCESSABLE_ENTITY. */
export class ValidationError extends DomainError {
  static override readonly code: ErrorCode = 'VALIDATION_ERROR';
  static override readonly defaultMessage: string = 'Validation failed';
  static {
    brandError(this, 'ValidationError');
  }
}

/** The operation conflicts with the current state (e.g. a stale version). HTTP: 409 CONFLICT. */
export class ConflictError extends DomainError {
  static override readonly code: ErrorCode = 'CONFLICT';
  static override readonly defaultMessage: string = 'Conflict with the current state';
  static {
    brandError(this, 'ConflictError');
  }
}

/** The requested resource does not exist. HTTP: 404 RESOURCE_NOT_FOUND. */
export class NotFoundError extends DomainError {
  static override readonly code: ErrorCode = 'NOT_FOUND';
  static override readonly defaultMessage: string = 'Resource not found';
  static {
    brandError(this, 'NotFoundError');
  }
}

/** A resource with the same identity already exists. HTTP: 409 DUPLICATE_RESOURCE. */
export class AlreadyExistsError extends DomainError {
  static override readonly code: ErrorCode = 'ALREADY_EXISTS';
  static override readonly defaultMessage: string = 'Resource already exists';
  static {
    brandError(this, 'AlreadyExistsError');
  }
}

/** The actor may not perform this action on this resource. HTTP: 403 FORBIDDEN. */
export class PermissionDeniedError extends DomainError {
  static override readonly code: ErrorCode = 'PERMISSION_DENIED';
  static override readonly defaultMessage: string = 'Permission denied';
  static {
    brandError(this, 'PermissionDeniedError');
  }
}
