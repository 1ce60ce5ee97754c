#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { maskSecrets } from '../internal/redaction.js';
import { CliError } from './cli-error.js';

/** A `libretto <name>` subcommand. */
interface Command {
  readonly summary: string;
  /** Resolves to the exit code; a mistake in the call throws a `CliError`. */
  readonly run: (args: readonly string[]) => Promise<number>;
}

const commands: Readonly<Record<string, Command>> = {
  openapi: {
    summary: 'Write the OpenAPI document of an app without starting it',
    // Loaded on use, so `--help` does not load the HTTP stack.
    run: async (args) => (await import('./openapi-command.js')).openapiCommand(args),
  },
  migrate: {
    summary: 'Apply, revert and write database migrations (libretto migrate --help)',
    run: async (args) => (await import('./migrate-command.js')).migrateCommand(args),
  },
  'email-transmitter': {
    summary: 'Send the emails of the email queue as config.json says (rococo email-transmitter)',
    run: async (args) =>
      (await import('./email-transmitter-command.js')).emailTransmitterCommand(args),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const names = Object.keys(commands);
  const width = Math.max(10, ...names.map((n) => n.length));
  const list = names.map((n) => `  ${n.padEnd(width)}  ${commands[n]?.summary}`).join('\n');
  return `Usage: libretto <command> [options]

Commands:
${list}

Options:
  -h, --help     Show this help (libretto <command> --help for a command's)
  -v, --version  Show the version

Configuration: --config <file>, else the LIBRETTO_CONFIG variable, else ./config.yaml
when it exists; LIBRETTO_* variables override it (LIBRETTO_API__PORT=8080).
TypeScript modules (.ts) are loaded with tsx when it is installed (npm install -D tsx).
`;
}

/** One line for stderr: a `CliError` as it is, anything else by its first line, masked. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return maskSecrets(message.split('\n')[0] as string);
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first.startsWith('-')) {
    process.stderr.write(`libretto: unknown option ${first} (libretto --help lists them)\n`);
    return 2;
  }
  const command = Object.hasOwn(commands, first) ? commands[first] : undefined;
  if (command === undefined) {
    const known = Object.keys(commands).join(', ');
    process.stderr.write(`libretto: unknown command "${first}" (commands: ${known})\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    process.stderr.write(`libretto ${first}: ${oneLine(error)}\n`);
    if (error instanceof CliError) return error.exitCode;
    // Not a mistake in the call: say where, for a bug report, when asked.
    if (process.env.LIBRETTO_LOG_LEVEL === 'debug' && error instanceof Error) {
      process.stderr.write(`${maskSecrets(error.stack ?? '')}\n`);
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
