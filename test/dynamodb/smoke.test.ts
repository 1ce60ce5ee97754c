import { model, SchemaRegistry } from 'libretto/data';
import { DynamoStore } from 'libretto/dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { type DynaliteServer, startDynalite } from './dynalite-server.js';

let server: DynaliteServer;
let store: DynamoStore;
const Person = model(
  'smoke_person',
  { name: z.string(), age: z.int32().nullable() },
  { versioned: true },
);
beforeAll(async () => {
  server = await startDynalite();
  store = await DynamoStore.open({
    endpoint: server.endpoint,
    region: 'us-east-1',
    accessKeyId: 'a',
    secretAccessKey: 'b',
  });
  await store.prepare(new SchemaRegistry([Person]));
});
afterAll(async () => {
  store.close();
  await server.close();
});
it('smoke', async () => {
  const people = store.repository(Person);
  const ada = await people.save(Person.create({ name: 'Ada', age: 36 }));
  const got = await people.get(ada.entityId);
  expect(got.name).toBe('Ada');
  const v2 = await people.save({ ...got, name: 'Ada K' });
  await expect(people.save({ ...got, name: 'x' })).rejects.toMatchObject({ code: 'STALE_VERSION' });
  expect((await people.history(ada.entityId)).map((e) => e.name)).toEqual(['Ada', 'Ada K']);
  expect(await people.getMany({ where: { age: { gte: 30 } } })).toHaveLength(1);
  expect(await people.count({ name: { startsWith: 'Ada' } })).toBe(1);
  await people.delete(v2);
  expect(await people.getOrNone(ada.entityId)).toBeUndefined();
});
