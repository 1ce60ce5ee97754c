import { existsSync } from 'node:fs';
import { CliError } from './cli-error.js';

/** The named files, or `.env.secrets` and `<APP_ENV>.env` when present; set variables win. */
export function loadEnvFiles(named: string | undefined): void {
  const files =
    named === undefined
      ? ['.env.secrets', ...(process.env.APP_ENV ? [`${process.env.APP_ENV}.env`] : [])].filter(
          (f) => existsSync(f),
        )
      : named
          .split(',')
          .map((f) => f.trim())
          .filter((f) => f !== '');
  for (const file of files) {
    if (!existsSync(file)) throw new CliError(`--env-files: ${file} does not exist`);
    try {
      process.loadEnvFile(file);
    } catch (error) {
      throw new CliError(`--env-files: ${file} cannot be read: ${(error as Error).message}`);
    }
  }
}
