export {
  ApplicationError,
  AuthenticationError,
  AuthorizationError,
  DependencyFailureError,
  DependencyThrottledError,
  DependencyTimeoutError,
  DependencyUnavailableError,
  InvalidOperationError,
  RelatedResourceNotFoundError,
} from './application-errors.js';
export {
  AlreadyExistsError,
  ConflictError,
  DomainError,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
} from './domain-errors.js';
export { ERROR_CODES, type ErrorCode, type ErrorCodes } from './error-codes.js';
export {
  DeadlineExceededError,
  InfrastructureError,
  StorageIntegrityError,
  SubsystemUnavailableError,
  SystemResourceLimitExceededError,
  TransportIntegrityError,
} from './infrastructure-errors.js';
export { type ErrorDetail, type ErrorOptions, LibrettoError } from './libretto-error.js';
export { UsageError } from './usage-error.js';
