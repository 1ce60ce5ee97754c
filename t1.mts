import { Surreal, RecordId, Table, createRemoteEngines, StringRecordId } from 'surrealdb';
import { createNodeEngines } from '@surrealdb/node';
const db = new Surreal({ engines: { ...createRemoteEngines(), ...createNodeEngines() } });
await db.connect('mem://');
await db.use({ namespace: 'n1', database: 'd1' });
console.log(await db.version());
const id = new RecordId('person', 'c1a1e7b2-0000-4000-8000-000000000001');
const r = await db.query('CREATE $id CONTENT $c RETURN NONE', { id, c: { name: 'x', at: new Date(), n: null, big: 12345678901234567890n } });
console.log('create', r);
console.log(await db.query('SELECT * FROM $id', { id }));
console.log(await db.query('SELECT * FROM ONLY $id', { id }));
// tx
const tx = await db.beginTransaction();
await tx.query('UPDATE $id SET name = "y"', { id });
console.log('in tx', await tx.query('SELECT name FROM $id', { id }));
console.log('outside tx', await db.query('SELECT name FROM $id', { id }));
await tx.cancel();
console.log('after cancel', await db.query('SELECT name FROM $id', { id }));
try { await db.query('CREATE $id CONTENT {}', { id }); } catch (e) { console.log('dup', e.constructor.name, e.kind, e.message, e.details); }
await db.query('DEFINE TABLE t SCHEMALESS; DEFINE INDEX t_email ON t FIELDS email UNIQUE');
await db.query('CREATE t:1 SET email="a"');
try { await db.query('CREATE t:2 SET email="a"'); } catch (e) { console.log('uniq', e.constructor.name, e.kind, e.message, JSON.stringify(e.details)); }
await db.close();
