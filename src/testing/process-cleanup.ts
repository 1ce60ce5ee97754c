/** Work to do synchronously when the process ends, even after a failed or interrupted run. */
const tasks = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const t of [...tasks].reverse()) {
    tasks.delete(t);
    try {
      t();
    } catch {
      // Exiting: nothing left to report to.
    }
  }
}

/**
 * On SIGINT/SIGTERM (Ctrl-C, a CI timeout) clean up, then — when nothing else handles the
 * signal — end the process the way the signal would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  runAll();
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

/**
 * Registers `task` to run when the process exits or is interrupted; returns a function that
 * unregisters it.
 */
export function onProcessExit(task: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  tasks.add(task);
  return () => tasks.delete(task);
}
