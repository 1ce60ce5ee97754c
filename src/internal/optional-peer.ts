import { DependencyUnavailableError } from '../errors/application-errors.js';

/**
 * The command that adds `pkg` to the user's project, in the package manager that runs the
 * process (`npm_config_user_agent` is set by npm, pnpm, yarn and bun scripts); npm otherwise.
 */
export function installCommand(
  pkg: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const agent = env.npm_config_user_agent ?? '';
  if (agent.startsWith('pnpm/')) return `pnpm add ${pkg}`;
  if (agent.startsWith('yarn/')) return `yarn add ${pkg}`;
  if (agent.startsWith('bun/')) return `bun add ${pkg}`;
  return `npm install ${pkg}`;
}

/** The one wording of a missing optional peer: which feature, which package, how to install it. */
export function peerMissingMessage(pkg: string, feature: string): string {
  return `${feature} needs ${pkg}, which is not installed: run \`${installCommand(pkg)}\``;
}

/** The error of a missing optional peer (`PACKAGE_NOT_INSTALLED`). */
export function peerMissing(
  pkg: string,
  feature: string,
  cause?: unknown,
): DependencyUnavailableError {
  return new DependencyUnavailableError(peerMissingMessage(pkg, feature), {
    code: 'PACKAGE_NOT_INSTALLED',
    details: [{ package: pkg, feature, install: installCommand(pkg) }],
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Whether `error` says that `pkg` itself could not be found — not a module inside it, nor
 * one of its own dependencies (a broken install, which keeps its own message).
 */
export function isPackageNotFound(error: unknown, pkg: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Node quotes the package's name: "Cannot find package 'fastify' imported from …".
  return [`'${pkg}'`, `"${pkg}"`, `'${pkg}/`].some((quoted) => error.message.includes(quoted));
}

/**
 * Imports an optional peer package on first use. When it is not installed, rejects with
 * `DependencyUnavailableError` (`PACKAGE_NOT_INSTALLED`) whose first line names the feature,
 * the package and the install command. `load` is the import itself, written at the call
 * site (`() => import('fastify')`) so that its type comes along.
 */
export async function importOptionalPeer<T>(
  pkg: string,
  feature: string,
  load: () => Promise<T> = () => import(pkg) as Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isPackageNotFound(error, pkg)) throw peerMissing(pkg, feature, error);
    throw error;
  }
}
