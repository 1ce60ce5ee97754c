import { existsSync } from 'node:fs';
import { ConfigError } from '../config/config-errors.js';
import { type LoadedConfig, loadConfig } from '../config/config-loader.js';
import type { ConfigSection } from '../config/config-section.js';
import { maskSecrets } from '../internal/redaction.js';
import { CliError } from './cli-error.js';

/** Read when neither `--config` nor `LIBRETTO_CONFIG` names a file, if it exists. */
export const DEFAULT_CONFIG_FILE = 'config.yaml';

/** `--config`, else `LIBRETTO_CONFIG`, else `config.yaml` in the working directory if there is one. */
export function cliConfigPath(flag: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  const fromEnv = process.env.LIBRETTO_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
}

/**
 * Loads `sections` from `path` and the environment, as the app would; a bad file or value is
 * a `CliError` of one line, every issue in it.
 */
export async function loadCliConfig(
  sections: readonly ConfigSection[],
  path: string | undefined,
): Promise<LoadedConfig> {
  try {
    // Not strict: the app reads sections the command does not know about.
    return await loadConfig(sections, {
      ...(path === undefined ? {} : { path }),
      argv: [],
      strict: false,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues = error.issues.map((i) => {
      const key = i.path === '' ? '' : `${i.path}: `;
      return `${i.source === undefined ? '' : `${i.source}: `}${key}${maskSecrets(i.message)}`;
    });
    // A file that cannot be read or parsed is not "invalid configuration": say what it is.
    const whole = error.issues.length === 1 && error.issues[0]?.path === '';
    throw new CliError(
      whole ? (issues[0] as string) : `invalid configuration: ${issues.join('; ')}`,
    );
  }
}
