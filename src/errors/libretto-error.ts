import type { ErrorCode } from './error-codes.js';

/** One structured detail of an error: a JSON-serializable record, e.g. `{ resource: 'User', id }`. */
export type ErrorDetail = Readonly<Record<string, unknown>>;

/** What every Libretto error accepts besides its message. */
export interface ErrorOptions {
  /** The condition, when more precise than the class's own code (`TRANSACTION_ABORTED`). */
  readonly code?: ErrorCode;
  readonly details?: readonly ErrorDetail[];
  readonly cause?: unknown;
}

// Registered with Symbol.for so that two copies of Libretto in one process (dual installs,
// bundles) recognise each other's errors: `instanceof` compares kinds, not prototypes.
const KIND = Symbol.for('libretto.error.kind');
const KINDS = Symbol.for('libretto.error.kinds');

type Branded = { [KIND]?: string; [KINDS]?: readonly string[] };

function kindsOf(target: object): readonly string[] {
  const own = (target as Branded)[KINDS];
  if (own !== undefined && Object.hasOwn(target, KINDS)) return own;
  const kinds: string[] = [];
  for (let c: unknown = target; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(c, KIND)) kinds.push((c as Branded)[KIND] as string);
  }
  Object.defineProperty(target, KINDS, { value: kinds });
  return kinds;
}

/**
 * Root of every error Libretto throws. Carries a stable `code` callers can branch on and
 * structured `details`; `cause` is the standard ES2022 cause.
 *
 * @example
 * throw new NotFoundError('User not found', { details: [{ resource: 'User', id }] });
 */
export class LibrettoError extends Error {
  /** Default code of this class; subclasses override it. */
  static readonly code: ErrorCode = 'LIBRETTO_ERROR';
  /** Default message when none is given. */
  static readonly defaultMessage: string = 'Libretto error';

  /** Which condition this is: the class's default code, or the one given in the options. */
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];

  constructor(message?: string | ErrorOptions, options?: ErrorOptions) {
    const opts = typeof message === 'object' ? message : options;
    const ctor = new.target as typeof LibrettoError;
    const text = typeof message === 'string' ? message : ctor.defaultMessage;
    super(text, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts?.code ?? ctor.code;
    this.details = opts?.details ?? [];
    const kinds = kindsOf(new.target);
    Object.defineProperty(this, KINDS, { value: kinds });
    Object.defineProperty(this, 'name', {
      value: Object.hasOwn(new.target, KIND) ? kinds[0] : new.target.name,
      configurable: true,
      writable: true,
    });
  }

  /** The safe, public shape: no stack, no cause. */
  toJSON(): { name: string; code: ErrorCode; message: string; details: readonly ErrorDetail[] } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // A user's subclass has no kind of its own: plain prototype semantics only.
    if (!Object.hasOwn(this, KIND) || typeof value !== 'object' || value === null) return false;
    const kinds = (value as Branded)[KINDS];
    return Array.isArray(kinds) && kinds.includes((this as Branded)[KIND] as string);
  }
}

/**
 * Gives a Libretto error class its cross-copy identity. Called once per class, in a static
 * block, with a literal name so that minification cannot change it.
 */
export function brandError(
  target: abstract new (...args: never) => LibrettoError,
  kind: string,
): void {
  Object.defineProperty(target, KIND, { value: kind });
}

brandError(LibrettoError, 'LibrettoError');
