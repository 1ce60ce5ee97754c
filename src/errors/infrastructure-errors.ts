import type { ErrorCode } from './error-codes.js';
import { brandError, LibrettoError } from './libretto-error.js';

/** Base of errors raised by infrastructure: storage, transport, the runtime. HTTP: 500. */
export class InfrastructureError extends LibrettoError {
  static override readonly code: ErrorCode = 'INFRASTRUCTURE_ERROR';
  static override readonly defaultMessage: string = 'Infrastructure error';
  static {
    brandError(this, 'InfrastructureError');
  }
}

/** A deadline (statement timeout, shutdown bound) passed. HTTP: 504 GATEWAY_TIMEOUT. */
export class DeadlineExceededError extends InfrastructureError {
  static override readonly code: ErrorCode = 'DEADLINE_EXCEEDED';
  static override readonly defaultMessage: string = 'Deadline exceeded';
  static {
    brandError(this, 'DeadlineExceededError');
  }
}

/** An internal subsystem is down. HTTP: 503. */
export class SubsystemUnavailableError extends InfrastructureError {
  static override readonly code: ErrorCode = 'SUBSYSTEM_UNAVAILABLE';
  static override readonly defaultMessage: string = 'Subsystem unavailable';
  static {
    brandError(this, 'SubsystemUnavailableError');
  }
}

/** Stored data is inconsistent or corrupt. HTTP: 500. */
export class StorageIntegrityError extends InfrastructureError {
  static override readonly code: ErrorCode = 'STORAGE_INTEGRITY';
  static override readonly defaultMessage: string = 'Storage integrity violated';
  static {
    brandError(this, 'StorageIntegrityError');
  }
}

/** Data was damaged in transit. HTTP: 500. */
export class TransportIntegrityError extends InfrastructureError {
  static override readonly code: ErrorCode = 'TRANSPORT_INTEGRITY';
  static override readonly defaultMessage: string = 'Transport integrity violated';
  static {
    brandError(this, 'TransportIntegrityError');
  }
}

/** A resource limit (pool, memory, queue) was reached. HTTP: 503. */
export class SystemResourceLimitExceededError extends InfrastructureError {
  static override readonly code: ErrorCode = 'SYSTEM_RESOURCE_LIMIT_EXCEEDED';
  static override readonly defaultMessage: string = 'System resource limit exceeded';
  static {
    brandError(this, 'SystemResourceLimitExceededError');
  }
}
