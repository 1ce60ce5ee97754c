import type { PostgresBinaries } from './postgres-binaries.js';

/**
 * The initdb command line for a data directory: trust authentication on the local socket
 * (only the user that runs the server can reach it), superuser `postgres`, UTF8, C locale
 * (the same on every machine). `sync: false` skips the final fsync, for throwaway data.
 */
export function initdbCommand(
  binaries: PostgresBinaries,
  dataDir: string,
  options: { readonly sync: boolean },
): [file: string, args: string[]] {
  const args = ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C'];
  if (!options.sync) args.push('--no-sync');
  return [binaries.initdb, args];
}
