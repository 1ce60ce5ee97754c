import type { ErrorCode } from '../errors/error-codes.js';
import { brandError, LibrettoError } from '../errors/libretto-error.js';
import { maskSecrets } from '../internal/redaction.js';

/** One problem found while validating a container's providers. */
export interface GraphProblem {
  readonly kind: 'missing' | 'cycle' | 'lifetime' | 'duplicate';
  /** The dependency (token name) the problem is about. */
  readonly dependency: string;
  /** The chain of tokens that led to it, outermost first. */
  readonly chain: readonly string[];
  readonly message: string;
  /** For a missing provider: what usually provides the token (see `setProviderHint`). */
  readonly hint?: string;
}

/**
 * The container's providers do not form a valid graph. Lists every problem at once.
 * Thrown by `Container.build` and `Application.start`.
 */
export class DependencyGraphError extends LibrettoError {
  static override readonly code: ErrorCode = 'DI_INVALID_GRAPH';
  static {
    brandError(this, 'DependencyGraphError');
  }
  readonly problems: readonly GraphProblem[];

  constructor(problems: readonly GraphProblem[]) {
    const n = problems.length;
    const lines = problems.map((p) => `  - ${p.message}`).join('\n');
    super(`Invalid dependency graph (${n} problem${n === 1 ? '' : 's'}):\n${lines}`, {
      details: problems.map((p) => ({
        kind: p.kind,
        dependency: p.dependency,
        chain: p.chain,
        ...(p.hint === undefined ? {} : { hint: p.hint }),
      })),
    });
    this.problems = problems;
  }
}

/** A token with no provider was resolved at run time. */
export class UnknownDependencyError extends LibrettoError {
  static override readonly code: ErrorCode = 'DI_UNKNOWN_TOKEN';
  static {
    brandError(this, 'UnknownDependencyError');
  }
  constructor(
    readonly dependency: string,
    hint?: string,
  ) {
    const how =
      hint === undefined ? `provide(${dependency}, …)` : `${hint} or provide(${dependency}, …)`;
    super(`No provider for ${dependency}: register ${how}`, {
      details: [{ dependency }],
    });
  }
}

/** A scope was used wrongly: request-scoped value asked from the app scope, or a closed scope. */
export class ScopeError extends LibrettoError {
  static override readonly code: ErrorCode = 'DI_SCOPE';
  static {
    brandError(this, 'ScopeError');
  }
}

/** A provider's factory failed while the container was warming up. */
export class DependencyCreationError extends LibrettoError {
  static override readonly code: ErrorCode = 'DI_PROVIDER_FAILED';
  static {
    brandError(this, 'DependencyCreationError');
  }
  constructor(
    readonly dependency: string,
    cause: unknown,
    requestedAs?: string,
  ) {
    const via =
      requestedAs !== undefined && requestedAs !== dependency ? ` (for ${requestedAs})` : '';
    const reason = maskSecrets(cause instanceof Error ? cause.message : String(cause));
    super(`Provider ${dependency}${via} failed: ${reason}`, { cause, details: [{ dependency }] });
  }
}

/** One or more finalizers failed while a scope closed; every finalizer still ran. */
export class DisposalError extends LibrettoError {
  static override readonly code: ErrorCode = 'DI_DISPOSE_FAILED';
  static {
    brandError(this, 'DisposalError');
  }
  constructor(readonly failures: readonly { dependency: string; error: unknown }[]) {
    const names = failures.map((f) => f.dependency).join(', ');
    const first = failures[0]?.error;
    super(`Finalizer failed for ${names}`, {
      cause: failures.length === 1 ? first : new AggregateError(failures.map((f) => f.error)),
      details: failures.map((f) => ({ dependency: f.dependency })),
    });
  }
}
