import type { ErrorCode } from '../errors/error-codes.js';
import { brandError, LibrettoError } from '../errors/libretto-error.js';
import { maskSecrets } from '../internal/redaction.js';

/** The application could not start: names the failing service (if any) and the cause. */
export class StartupError extends LibrettoError {
  static override readonly code: ErrorCode = 'APP_START_FAILED';
  static {
    brandError(this, 'StartupError');
  }
  /** The service whose `start()` failed; undefined when the failure came before (DI, warmup). */
  readonly service: string | undefined;

  constructor(service: string | undefined, cause: unknown) {
    const reason = maskSecrets(cause instanceof Error ? cause.message : String(cause));
    super(
      service === undefined
        ? `Application failed to start: ${reason}`
        : `Service ${service} failed to start: ${reason}`,
      { cause, details: service === undefined ? [] : [{ service }] },
    );
    this.service = service;
  }
}

/** One or more services (or finalizers) failed while stopping; every one was still stopped. */
export class ShutdownError extends LibrettoError {
  static override readonly code: ErrorCode = 'APP_STOP_FAILED';
  static {
    brandError(this, 'ShutdownError');
  }
  constructor(readonly failures: readonly { service: string; error: unknown }[]) {
    const list = failures
      .map((f) => `${f.service}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
      .join('; ');
    super(maskSecrets(`Application did not stop cleanly: ${list}`), {
      cause:
        failures.length === 1
          ? failures[0]?.error
          : new AggregateError(failures.map((f) => f.error)),
      details: failures.map((f) => ({ service: f.service })),
    });
  }
}
