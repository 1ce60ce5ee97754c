import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Application } from 'libretto';
import type { HttpService } from 'libretto/http';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The example API as `npm start` runs it (its config.yaml, the embedded database), on a free
 * port: started in this test file's own module context, stopped with `stop()`. Its data is
 * throwaway (`data_dir: :memory:`) unless a directory is given.
 */
export async function startExample(
  dataDir = ':memory:',
): Promise<{ base: string; stop: () => Promise<void> }> {
  process.env.LIBRETTO_CONFIG = join(root, 'examples/http-api/config.yaml');
  process.env.LIBRETTO_API__PORT = '0';
  process.env.LIBRETTO_POSTGRES__DATA_DIR = dataDir;
  process.env.LIBRETTO_LOG_LEVEL = 'warn';
  const example = (await import('../../examples/http-api/app.js')) as {
    app: Application;
    http: HttpService;
  };
  await example.app.start();
  return {
    base: String(example.http.url),
    stop: async () => {
      await example.app.stop();
      delete process.env.LIBRETTO_CONFIG;
      delete process.env.LIBRETTO_API__PORT;
      delete process.env.LIBRETTO_POSTGRES__DATA_DIR;
    },
  };
}
