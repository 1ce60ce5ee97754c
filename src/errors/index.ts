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
export {
  DeadlineExceededError,
  InfrastructureError,
  StorageIntegrityError,
  SubsystemUnavailableError,
  SystemResourceLimitExceededError,
  TransportIntegrityError,
} from './infrastructure-errors.js';
export { type ErrorDetail, type ErrorOptions, LibrettoError } from './libretto-error.js';
