import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './cli-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `parseArgs` in strict mode, its errors said in one short line: Node's own messages run
 * over several clauses ("To specify a positional argument starting with a '-', …").
 */
export function parseCommandArgs<O extends Options>(
  args: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const quoted = /'([^']+)'/.exec(message)?.[1];
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new CliError(`unknown option ${quoted ?? message}`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new CliError(
          /argument missing/.test(message)
            ? `${quoted?.split(' ')[0] ?? 'an option'} needs a value`
            : `${quoted ?? 'an option'} takes no value`,
        );
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new CliError(
          `unexpected argument ${quoted === undefined ? '' : `"${quoted}"`}`.trim(),
        );
      default:
        throw new CliError((message.split('\n')[0] as string).replace(/\.$/, ''));
    }
  }
}
