#!/usr/bin/env node
import { readFileSync } from 'node:fs';

/** A `libretto <name>` subcommand. Later areas (openapi, migrate) add theirs here. */
interface Command {
  readonly summary: string;
  readonly run: (args: readonly string[]) => Promise<number>;
}

const commands: Readonly<Record<string, Command>> = {
  openapi: {
    summary: 'Write the OpenAPI document of an app without starting it',
    // Loaded on use, so `--help` does not load the HTTP stack.
    run: async (args) => (await import('./openapi-command.js')).openapiCommand(args),
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
  const list =
    names.length === 0
      ? '  (none yet)'
      : names.map((n) => `  ${n.padEnd(width)}  ${commands[n]?.summary}`).join('\n');
  return `Usage: libretto <command> [options]

Commands:
${list}

Options:
  -h, --help     Show this help
  -v, --version  Show the version
`;
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
  const command = commands[first];
  if (command === undefined) {
    process.stderr.write(`libretto: unknown command "${first}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
