import { sql } from 'libretto/postgres';
import { expect, it } from 'vitest';
import { openMysql } from './server.js';
it('smoke', async () => {
  const o = await openMysql();
  const db = o.db;
  await db.execute('CREATE TABLE person (id int PRIMARY KEY, name text NOT NULL, ok boolean, j json, t datetime(3))');
  expect(await db.execute(sql`INSERT INTO ${sql.identifier('person')} (id, name, ok, j, t) VALUES (${1}, ${'a'}, ${true}, ${{ a: 1 }}, ${new Date(0)})`)).toBe(1);
  console.log(await db.fetch('SELECT * FROM person'));
  console.log(await db.fetchVal(sql`SELECT count(*) FROM person WHERE id = ${1}`));
  await db.transaction(async (tx) => { await tx.execute(sql`UPDATE person SET name = ${'b'}`); await tx.transaction(async () => { throw new Error('x') }).catch(() => {}); }, { isolation: 'serializable' });
  const rows = []; for await (const r of db.stream(sql`SELECT seq FROM seq_1_to_1000`, undefined, { batchSize: 10 })) { rows.push(r); if (rows.length === 5) break; }
  console.log(rows.length, await db.fetchVal('SELECT 1'));
  console.log(await db.execute(sql`INSERT INTO person (id, name) VALUES (${1}, ${'dup-secret'})`).catch((e) => [e.message, e.code, JSON.stringify(e), e.cause.message]));
  await o.close();
});
