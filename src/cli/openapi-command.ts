import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../config/config-loader.js';
import { Application } from '../core/application.js';
import { HttpConfig } from '../http/http-config.js';
import { HttpService } from '../http/http-service.js';

const USAGE = `Usage: libretto openapi --app <module> [--out <file>] [--format yaml|json] [--config <file>]

Writes the OpenAPI document of the module's HttpService without starting a server.
The module exports an Application (as \`app\` or default) or an HttpService; it must not
call run() when imported. For TypeScript sources run: node --import tsx $(npx which libretto) …
`;

/** `libretto openapi`: resolves to the exit code. */
export async function openapiCommand(args: readonly string[]): Promise<number> {
  let values: { app?: string; out?: string; format?: string; config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        app: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`libretto openapi: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.app === undefined) {
    process.stderr.write(`libretto openapi: --app is required\n\n${USAGE}`);
    return 2;
  }
  const format = values.format ?? (values.out?.endsWith('.json') ? 'json' : 'yaml');
  if (format !== 'yaml' && format !== 'json') {
    process.stderr.write(`libretto openapi: --format must be yaml or json\n`);
    return 2;
  }
  const module = (await import(pathToFileURL(resolve(values.app)).href)) as Record<string, unknown>;
  const candidates = [module.app, module.default, module.http, ...Object.values(module)];
  const http =
    (candidates.find((c) => c instanceof HttpService) as HttpService | undefined) ??
    (candidates.find((c) => c instanceof Application) as Application | undefined)?.services.find(
      (s): s is HttpService => s instanceof HttpService,
    );
  if (http === undefined) {
    process.stderr.write(
      `libretto openapi: ${values.app} exports no Application with an HttpService\n`,
    );
    return 1;
  }
  const config =
    values.config === undefined
      ? undefined
      : (
          await loadConfig([HttpConfig], { path: values.config, argv: [], strict: false })
        ).sections.get(HttpConfig);
  const document = http.documentWith(config as Parameters<HttpService['documentWith']>[0]);
  const text = format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : toYaml(document);
  if (values.out === undefined) process.stdout.write(text);
  else await writeFile(values.out, text);
  return 0;
}
