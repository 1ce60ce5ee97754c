import type { ErrorCode } from './error-codes.js';
import { brandError, LibrettoError } from './libretto-error.js';

/** Base of errors raised by application services and their dependencies. */
export class ApplicationError extends LibrettoError {
  static override readonly code: ErrorCode = 'APPLICATION_ERROR';
  static override readonly defaultMessage: string = 'Application error';
  static {
    brandError(this, 'ApplicationError');
  }
}

/** The operation is not allowed in the current state. HTTP: 409 CONFLICT. */
export class InvalidOperationError extends ApplicationError {
  static override readonly code: ErrorCode = 'INVALID_OPERATION';
  static override readonly defaultMessage: string = 'Invalid operation';
  static {
    brandError(this, 'InvalidOperationError');
  }
}

/** The caller is not authenticated. HTTP: 401 UNAUTHORIZED. */
export class AuthenticationError extends ApplicationError {
  static override readonly code: ErrorCode = 'AUTHENTICATION_FAILED';
  static override readonly defaultMessage: string = 'Authentication required';
  static {
    brandError(this, 'AuthenticationError');
  }
}

/** The caller is authenticated but not authorized. HTTP: 403 FORBIDDEN. */
export class AuthorizationError extends ApplicationError {
  static override readonly code: ErrorCode = 'AUTHORIZATION_FAILED';
  static override readonly defaultMessage: string = 'Not authorized';
  static {
    brandError(this, 'AuthorizationError');
  }
}

/** A resource referenced by the input does not exist. HTTP: 422 UNPROCESSABLE_ENTITY. */
export class RelatedResourceNotFoundError extends ApplicationError {
  static override readonly code: ErrorCode = 'RELATED_RESOURCE_NOT_FOUND';
  static override readonly defaultMessage: string = 'Related resource not found';
  static {
    brandError(this, 'RelatedResourceNotFoundError');
  }
}

/** A dependency (database, broker, remote API) cannot be reached. HTTP: 503. */
export class DependencyUnavailableError extends ApplicationError {
  static override readonly code: ErrorCode = 'DEPENDENCY_UNAVAILABLE';
  static override readonly defaultMessage: string = 'Dependency unavailable';
  static {
    brandError(this, 'DependencyUnavailableError');
  }
}

/** A dependency did not answer in time. HTTP: 504 GATEWAY_TIMEOUT. */
export class DependencyTimeoutError extends ApplicationError {
  static override readonly code: ErrorCode = 'DEPENDENCY_TIMEOUT';
  static override readonly defaultMessage: string = 'Dependency timed out';
  static {
    brandError(this, 'DependencyTimeoutError');
  }
}

/** A dependency answered with a failure. HTTP: 502 BAD_GATEWAY. */
export class DependencyFailureError extends ApplicationError {
  static override readonly code: ErrorCode = 'DEPENDENCY_FAILURE';
  static override readonly defaultMessage: string = 'Dependency failed';
  static {
    brandError(this, 'DependencyFailureError');
  }
}

/** A dependency refused the call because of rate limits. HTTP: 503. */
export class DependencyThrottledError extends ApplicationError {
  static override readonly code: ErrorCode = 'DEPENDENCY_THROTTLED';
  static override readonly defaultMessage: string = 'Dependency throttled the request';
  static {
    brandError(this, 'DependencyThrottledError');
  }
}
