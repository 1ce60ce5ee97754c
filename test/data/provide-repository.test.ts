import { Application, token } from 'libretto';
import { model, provideRepository, type RepositoryOf, SchemaRegistry } from 'libretto/data';
import { Database, PostgresService } from 'libretto/postgres';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const Note = model('note', { text: z.string() }, { versioned: true });
const Notes = token<RepositoryOf<typeof Note>>('Notes');

describe('provideRepository', () => {
  it('resolves a model repository from DI over the application database', async () => {
    const app = new Application(new PostgresService({ dataDir: ':memory:' }), {
      providers: [provideRepository(Notes, Note)],
    });
    await app.start();
    try {
      await new SchemaRegistry([Note]).ensureSchema(await app.container.get(Database));
      const notes = await app.container.get(Notes);
      const saved = await notes.save(Note.create({ text: 'hello' }));
      expect(await notes.get(saved.entityId)).toEqual(saved);
      expect(await app.container.get(Notes)).toBe(notes);
    } finally {
      await app.stop();
    }
  });
});
