import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DependencyUnavailableError } from 'libretto';
import { Database, PglitePool } from 'libretto/postgres';
import { describe, expect, it } from 'vitest';
import { emptyPglite } from './empty-pglite.js';

describe('PGlite backend', () => {
  it('keeps data in a directory across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libretto-pglite-'));
    try {
      const first = await PglitePool.create({ dataDir: dir });
      await new Database(first).execute(
        "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('x')",
      );
      await first.close();
      const second = await PglitePool.create({ dataDir: dir });
      expect(await new Database(second).fetch('SELECT v FROM kept')).toEqual([{ v: 'x' }]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts from a dump of another PGlite: its tables and rows, each copy on its own', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const template = await PGlite.create({ loadDataDir: await emptyPglite() });
    await template.exec("CREATE TABLE seeded (v text); INSERT INTO seeded VALUES ('seed')");
    const dump = await template.dumpDataDir('none');
    await template.close();
    const a = new Database(await PglitePool.create({ loadDataDir: dump }));
    const b = new Database(await PglitePool.create({ loadDataDir: dump }));
    try {
      await a.execute("INSERT INTO seeded VALUES ('only in a')");
      expect(await a.fetch('SELECT v FROM seeded ORDER BY v')).toEqual([
        { v: 'only in a' },
        { v: 'seed' },
      ]);
      expect(await b.fetch('SELECT v FROM seeded')).toEqual([{ v: 'seed' }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('hands its single connection to one caller at a time; a waiter times out with a typed error', async () => {
    const driver = await PglitePool.create({
      acquireTimeoutMs: 100,
      loadDataDir: await emptyPglite(),
    });
    const db = new Database(driver);
    let release!: () => void;
    const held = db.transaction(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await new Promise((r) => setTimeout(r, 20));
    await expect(db.fetchVal('SELECT 1')).rejects.toBeInstanceOf(DependencyUnavailableError);
    const queued = db.fetchVal('SELECT 2');
    release();
    await held;
    expect(await queued).toBe(2);
    await driver.close();
  });
});
