import { ValidationError } from '../errors/domain-errors.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { brandError } from '../errors/libretto-error.js';
import { maskSecrets } from '../internal/redaction.js';

/** One invalid configuration value. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `api.port`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
  /** Where the value came from: a file (with line) or an environment variable. */
  readonly source?: string;
}

/**
 * The configuration cannot be used: a malformed file, or values that fail their schema.
 * Lists every issue with its key path and source; never includes secret values.
 */
export class ConfigError extends ValidationError {
  static override readonly code: ErrorCode = 'CONFIG_INVALID';
  static {
    brandError(this, 'ConfigError');
  }
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], cause?: unknown) {
    const lines = issues.map((i) => {
      const where = i.source === undefined ? '' : ` (${i.source})`;
      return `  - ${i.path === '' ? '<root>' : i.path}${where}: ${maskSecrets(i.message)}`;
    });
    super(`Invalid configuration:\n${lines.join('\n')}`, {
      details: issues.map((i) => ({ ...i, message: maskSecrets(i.message) })),
      cause,
    });
    this.issues = issues;
  }
}

/** A DSN string cannot be parsed. The message shows the DSN with its password masked. */
export class DsnError extends ValidationError {
  static override readonly code: ErrorCode = 'DSN_INVALID';
  static {
    brandError(this, 'DsnError');
  }
  constructor(dsn: string, reason: string) {
    // Without `scheme://` the masking cannot tell user from password: do not quote it.
    const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(dsn) ? ` "${maskSecrets(dsn)}"` : '';
    super(`Invalid DSN${shown}: ${reason}`, { details: [{ reason }] });
  }
}
