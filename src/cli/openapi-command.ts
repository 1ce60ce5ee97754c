import { writeFile } from 'node:fs/promises';
import { stringify as toYaml } from 'yaml';
import { Application } from '../core/application.js';
import { HttpConfig } from '../http/http-config.js';
import { HttpService } from '../http/http-service.js';
import { cliConfigPath, DEFAULT_CONFIG_FILE, loadCliConfig } from './cli-config.js';
import { CliError } from './cli-error.js';
import { loadModule } from './load-module.js';
import { parseCommandArgs } from './parse-command-args.js';

const USAGE = `Usage: libretto openapi --app <module> [--out <file>] [--format yaml|json] [--config <file>]

Writes the OpenAPI document of the module's HttpService without starting a server.

Options:
  --app <module>     A module exporting an Application (as \`app\` or default) or an
                     HttpService; it must not call run() when imported. A .ts module is
                     loaded with tsx when tsx is installed.
  --out <file>       Where to write the document. Default: stdout
  --format <format>  yaml or json. Default: json when --out ends in .json, else yaml
  --config <file>    The configuration (its api: section). Default: LIBRETTO_CONFIG,
                     else ./${DEFAULT_CONFIG_FILE} when it exists
  -h, --help         Show this help
`;

/** The module's HttpService: exported itself, or one of an exported Application's services. */
function findHttpService(module: Record<string, unknown>): HttpService | undefined {
  // A CommonJS module (a .ts file outside a "type": "module" package) exports an object.
  const nested =
    typeof module.default === 'object' && module.default !== null
      ? Object.values(module.default)
      : [];
  const candidates = [module.app, module.default, module.http, ...Object.values(module), ...nested];
  return (
    (candidates.find((c) => c instanceof HttpService) as HttpService | undefined) ??
    (candidates.find((c) => c instanceof Application) as Application | undefined)?.services.find(
      (s): s is HttpService => s instanceof HttpService,
    )
  );
}

/** `libretto openapi`: resolves to the exit code; a mistake throws a `CliError`. */
export async function openapiCommand(args: readonly string[]): Promise<number> {
  const values = parseCommandArgs(args, {
    app: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.app === undefined) throw new CliError('--app <module> is required');
  const format = values.format ?? (values.out?.endsWith('.json') ? 'json' : 'yaml');
  if (format !== 'yaml' && format !== 'json') {
    throw new CliError(`--format must be yaml or json, not "${format}"`);
  }
  // The configuration first: a bad file is said before the app's own code runs.
  const configPath = cliConfigPath(values.config);
  const config = (await loadCliConfig([HttpConfig], configPath)).sections.get(HttpConfig);
  const http = findHttpService(await loadModule(values.app));
  if (http === undefined) {
    throw new CliError(
      `${values.app} exports no Application with an HttpService (export one as \`app\` or default)`,
    );
  }
  const document = http.documentWith(config as Parameters<HttpService['documentWith']>[0]);
  const text = format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : toYaml(document);
  if (values.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    await writeFile(values.out, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its directory does not exist' : (code ?? 'write failed');
    throw new CliError(`cannot write --out ${values.out}: ${why}`);
  }
  return 0;
}
