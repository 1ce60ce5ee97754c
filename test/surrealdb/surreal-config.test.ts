// SurrealDB settings: the surrealdb: section (YAML, LIBRETTO_SURREALDB__*), the constructor over
// it, other names of keys, the password masked in settings, errors and logs; SurrealService.
import { Application, ConfigService, DependencyUnavailableError, UsageError } from 'libretto';
import { model, SchemaRegistry } from 'libretto/data';
import {
  resolveSurrealSettings,
  SurrealConfig,
  SurrealDatabase,
  SurrealService,
  surrealRepository,
} from 'libretto/surrealdb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { capturedLogger } from '../core/log-capture.js';
import { failure } from '../failure.js';

describe('SurrealDB settings', () => {
  it('resolves the constructor over the section over defaults; url and username are other names', () => {
    const s = resolveSurrealSettings(
      { url: 'ws://db.internal:8000/rpc', namespace: 'app', username: 'root', password: 's3cret' },
      { database: 'main' },
    );
    expect(s).toEqual({
      endpoint: 'ws://db.internal:8000/rpc',
      namespace: 'app',
      database: 'main',
      user: 'root',
    });
    expect(s.password).toBe('s3cret');
    expect(JSON.stringify(s)).not.toContain('s3cret');
    expect(resolveSurrealSettings()).toMatchObject({
      endpoint: 'mem://',
      namespace: 'libretto',
      database: 'libretto',
    });
  });

  it('refuses unknown keys, two names of one key, and endpoints of no engine (password masked)', () => {
    expect(() => resolveSurrealSettings({}, { host: 'x' } as never)).toThrow(UsageError);
    expect(() => resolveSurrealSettings({ endpoint: 'mem://', url: 'ws://x' })).toThrow(
      /another name of endpoint/,
    );
    const error = (() => {
      try {
        resolveSurrealSettings({}, { endpoint: 'ftp://root:hunter2@db/rpc' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toContain('ftp://root:***@db/rpc');
    expect(error?.message).not.toContain('hunter2');
  });

  it('names the endpoint when it cannot connect, never the password', async () => {
    const error = await failure(
      SurrealDatabase.connect({
        endpoint: 'http://127.0.0.1:9/rpc',
        user: 'root',
        password: 'hunter2',
      }),
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error.code).toBe('DATABASE_CONNECT_FAILED');
    expect(error.message).toMatch(
      /^SurrealDB at http:\/\/127\.0\.0\.1:9\/rpc \(namespace libretto/,
    );
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(
      'hunter2',
    );
  });
});

describe('SurrealService', () => {
  it('reads the surrealdb: section from the environment, provides the database, reports ready', async () => {
    const capture = capturedLogger();
    const service = new SurrealService({ database: 'svc' });
    const config = new ConfigService({
      sections: [SurrealConfig],
      argv: [],
      env: {
        LIBRETTO_SURREALDB__ENDPOINT: 'mem://',
        LIBRETTO_SURREALDB__NAMESPACE: 'service_test',
        LIBRETTO_SURREALDB__DATABASE: 'ignored',
      },
    });
    const app = new Application(config, service, { logger: capture.logger });
    await app.start();
    try {
      expect(service.settings).toMatchObject({ namespace: 'service_test', database: 'svc' });
      const db = await service.getDependency(SurrealDatabase);
      const Note = model('note', { text: z.string() });
      await db.prepare(new SchemaRegistry([Note]));
      const notes = surrealRepository(Note, db);
      const saved = await notes.save(Note.create({ text: 'hello' }));
      expect(await notes.get(saved.entityId)).toEqual(saved);
      await service.checkHealth();
      expect(capture.text()).toContain('database ready');
    } finally {
      await app.stop();
    }
  });

  it('refuses unknown options', () => {
    expect(() => new SurrealService({ pool: 3 } as never)).toThrow(UsageError);
  });
});
