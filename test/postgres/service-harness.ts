// An application of a PostgresService (and a ConfigService when YAML or variables are given),
// started: what the service tests and the settings tests open the database through.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigService, provide } from 'libretto';
import {
  Database,
  PostgresConfig,
  type PostgresSection,
  PostgresService,
  type PostgresServiceOptions,
} from 'libretto/postgres';
import { capturedLogger } from '../core/log-capture.js';

/** Where the configuration comes from: a YAML document, variables, or a section in DI. */
export interface ServiceConfig {
  readonly yaml?: string;
  readonly env?: Record<string, string>;
  readonly section?: PostgresSection;
}

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'libretto-cfg-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

/** Starts the application; its log lines are captured. */
export async function startService(options: PostgresServiceOptions, config: ServiceConfig = {}) {
  const capture = capturedLogger();
  const postgres = new PostgresService(options);
  const services = [];
  if (config.yaml !== undefined || config.env !== undefined) {
    services.push(
      new ConfigService({
        sections: [PostgresConfig],
        argv: config.yaml === undefined ? [] : ['--config', yamlFile(config.yaml)],
        env: config.env ?? {},
      }),
    );
  }
  const section = config.section;
  const app = new Application(...services, postgres, {
    logger: capture.logger,
    providers: section === undefined ? [] : [provide(PostgresConfig, { value: section })],
  });
  await app.start();
  const db = await postgres.getDependency(Database);
  return { app, postgres, db, log: capture };
}
