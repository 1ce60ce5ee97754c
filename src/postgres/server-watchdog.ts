import { type ChildProcess, spawn } from 'node:child_process';

// Waits for its stdin (a pipe from this process) to close — which happens when this process
// ends, however it ends, SIGKILL included — then fast-stops the server, kills it after 10 s,
// and removes the throwaway directory if there is one. A shell, not a second Node.js
// process: a megabyte instead of forty.
const SCRIPT = `read _
kill -INT "$1" 2>/dev/null
n=0
while kill -0 "$1" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
kill -9 "-$1" 2>/dev/null
[ -n "$2" ] && rm -rf -- "$2"
exit 0`;

/**
 * Ties a server process to this one: when this process ends without stopping it, the
 * server is stopped (and `removeDir` removed). `cancel()` once the server was stopped
 * normally. None on Windows (no shell): the next start then recovers the directory.
 */
export class ServerWatchdog {
  readonly #child: ChildProcess | undefined;

  constructor(serverPid: number, removeDir: string | undefined) {
    if (process.platform === 'win32') return;
    const child = spawn(
      '/bin/sh',
      ['-c', SCRIPT, 'libretto-watchdog', String(serverPid), removeDir ?? ''],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true, // not in the terminal's process group: Ctrl-C is for the app to handle
      },
    );
    child.on('error', () => undefined); // no shell: the next start recovers instead
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.#child = child;
  }

  /** The watchdog's process id (tests). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Ends the watchdog without touching the server. */
  cancel(): void {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
  }
}
