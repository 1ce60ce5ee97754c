// The example's docs pages in a real headless Chromium: every operation of the generated
// document must be rendered by Swagger UI and by Redoc, with every asset served by the app.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Application } from 'libretto';
import type { HttpService } from 'libretto/http';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.LIBRETTO_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const root = fileURLToPath(new URL('../..', import.meta.url));
const screenshots = join(root, 'test-artifacts', 'screenshots');

if (!available) {
  const message = `Chromium not found at ${CHROMIUM}: the docs browser test needs it (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
}

interface Operation {
  readonly operationId: string;
  readonly tag: string;
}

describe.skipIf(!available)('docs pages in Chromium', () => {
  let app: Application;
  let http: HttpService;
  let browser: Browser;
  let operations: Operation[];
  const env = { ...process.env };

  beforeAll(async () => {
    // The example exactly as `npm start` runs it, on a free port and quiet.
    process.env.LIBRETTO_CONFIG = join(root, 'examples/http-api/config.yaml');
    process.env.LIBRETTO_API__PORT = '0';
    process.env.LIBRETTO_POSTGRES__DATA_DIR = ':memory:'; // not the project's .data/postgres
    process.env.LIBRETTO_LOG_LEVEL = 'warn';
    const example = await import('../../examples/http-api/app.js');
    app = example.app;
    http = example.http;
    await app.start();

    operations = [];
    for (const item of Object.values(http.openapi.paths ?? {})) {
      for (const op of Object.values(item ?? {})) {
        if (typeof op !== 'object' || op === null || !('operationId' in op)) continue;
        const tags = (op as { tags?: string[] }).tags ?? ['default'];
        operations.push({ operationId: String(op.operationId), tag: tags[0] ?? 'default' });
      }
    }

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Playwright gives each launch a new empty profile; the flags keep Chromium off the
      // network (this machine has none) so only the app's own requests remain.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await mkdir(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    process.env = env;
  });

  /** Opens a page, recording requests that left the app's origin and script errors. */
  async function open(path: string): Promise<{ page: Page; foreign: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const origin = new URL(http.url).origin;
    const foreign: string[] = [];
    const errors: string[] = [];
    // The page's policy keeps assets on the app's origin: a request elsewhere is a failure
    // unless the browser blocked it for that policy.
    const isForeign = (url: string) =>
      !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:');
    page.on('requestfinished', (request) => {
      if (isForeign(request.url())) foreign.push(request.url());
    });
    page.on('requestfailed', (request) => {
      const reason = request.failure()?.errorText ?? '';
      if (isForeign(request.url()) && reason !== 'csp' && !reason.includes('BLOCKED_BY_CSP')) {
        foreign.push(`${request.url()} (${reason})`);
      }
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${http.url}${path}`, { waitUntil: 'load' });
    return { page, foreign, errors };
  }

  it('the example documents the operations the test looks for', () => {
    expect(operations.map((o) => o.operationId).sort()).toEqual([
      'createOrganization',
      'createPerson',
      'deletePerson',
      'getOrganization',
      'getPerson',
      'personHistory',
      'searchPeople',
      'updatePerson',
      'whoAmI',
    ]);
  });

  it('/docs redirects to Swagger UI, which renders every operation', async () => {
    const { page, foreign, errors } = await open('/docs');
    expect(new URL(page.url()).pathname).toBe('/docs/swagger');
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    for (const { operationId, tag } of operations) {
      await expect(page.locator(`#operations-${tag}-${operationId}`).count()).resolves.toBe(1);
    }
    await expect(page.locator('.opblock').count()).resolves.toBe(operations.length);
    await expect(page.locator('.info .title').textContent()).resolves.toContain('People API');
    await page.screenshot({ path: join(screenshots, 'swagger.png'), fullPage: true });
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Redoc renders every operation', async () => {
    const { page, foreign, errors } = await open('/docs/redoc');
    await page.locator('[data-section-id*="operation/"]').first().waitFor({ timeout: 15_000 });
    for (const { operationId } of operations) {
      await expect(
        page.locator(`[data-section-id$="operation/${operationId}"]`).count(),
      ).resolves.toBeGreaterThan(0);
    }
    // The tag group from the configuration heads the side menu.
    await expect(page.getByText('Directory', { exact: true }).count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: join(screenshots, 'redoc.png'), fullPage: true });
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
