/** Work to do synchronously when the process exits, even after a failed test run. */
const tasks = new Set<() => void>();
let installed = false;

/** Registers `task` to run at process exit; returns a function that unregisters it. */
export function onProcessExit(task: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const t of [...tasks].reverse()) {
        try {
          t();
        } catch {
          // Exiting: nothing left to report to.
        }
      }
    });
  }
  tasks.add(task);
  return () => tasks.delete(task);
}
