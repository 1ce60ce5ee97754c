/**
 * A mistake in how `libretto` was called (a flag, a path, a file's content): printed as one
 * line on stderr, never with a stack, and the process exits with `exitCode`.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** 2 for a mistake in the call; 1 for a failure of the user's own code. */
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
