import {
  Container,
  DependencyCreationError,
  DisposalError,
  provide,
  provideClass,
  ScopeError,
  supplied,
  supply,
  token,
  UnknownDependencyError,
} from 'libretto';
import { describe, expect, it } from 'vitest';

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));
/** Resolves to `make()` after `ms` milliseconds: an async factory body. */
const later = async <T>(make: () => T, ms = 1): Promise<T> => {
  await tick(ms);
  return make();
};

class Database {
  constructor(readonly url: string) {}
}
class UserRepository {
  constructor(readonly db: Database) {}
}
const Url = token<string>('Url');
const RequestId = token<string>('RequestId');

describe('Container: resolution', () => {
  it('resolves values, factories and classes with their dependencies', async () => {
    const container = Container.build([
      provide(Url, { value: 'postgres://db/app' }),
      provide(Database, { deps: [Url], use: (url) => new Database(url) }),
      provideClass(UserRepository, [Database]),
    ]);
    const repo = await container.get(UserRepository);
    expect(repo).toBeInstanceOf(UserRepository);
    expect(repo.db.url).toBe('postgres://db/app');
    expect(await container.get(UserRepository)).toBe(repo);
  });

  it('awaits async factories and their async dependencies', async () => {
    const container = Container.build([
      provide(Url, { use: () => later(() => 'async-url') }),
      provide(Database, { deps: [Url], use: (url) => later(() => new Database(url)) }),
    ]);
    expect((await container.get(Database)).url).toBe('async-url');
  });

  it('request scopes get their own instances and share app-scoped ones', async () => {
    let n = 0;
    const container = Container.build([
      provide(Database, { use: () => new Database('x') }),
      provide(RequestId, { use: () => `req-${++n}`, lifetime: 'request' }),
      provide(UserRepository, {
        deps: [Database],
        use: (db) => new UserRepository(db),
        lifetime: 'request',
      }),
    ]);
    const a = container.createScope();
    const b = container.createScope();
    expect(await a.get(RequestId)).toBe('req-1');
    expect(await a.get(RequestId)).toBe('req-1');
    expect(await b.get(RequestId)).toBe('req-2');
    const ra = await a.get(UserRepository);
    const rb = await b.get(UserRepository);
    expect(ra).not.toBe(rb);
    expect(ra.db).toBe(rb.db);
    expect(ra.db).toBe(await container.get(Database));
    await a.close();
    await b.close();
  });

  it('creates a value once under concurrent async resolution (DI-7)', async () => {
    let created = 0;
    const Slow = token<{ id: number }>('Slow');
    const Leaf = token<number>('Leaf');
    const container = Container.build([
      provide(Leaf, { use: () => later(() => 1, 5) }),
      provide(Slow, { deps: [Leaf], use: () => later(() => ({ id: ++created }), 5) }),
      provide(RequestId, { deps: [Slow], use: async (s) => `r${s.id}`, lifetime: 'request' }),
    ]);
    const app = await Promise.all(Array.from({ length: 20 }, () => container.get(Slow)));
    expect(created).toBe(1);
    expect(new Set(app).size).toBe(1);

    await using scope = container.createScope();
    const ids = await Promise.all(Array.from({ length: 20 }, () => scope.get(RequestId)));
    expect(new Set(ids)).toEqual(new Set(['r1']));
  });

  it('does not cache a failure: the next resolution tries again', async () => {
    let attempts = 0;
    const container = Container.build([
      provide(Url, {
        use: async () => {
          attempts++;
          if (attempts === 1) throw new Error('first try fails');
          return 'ok';
        },
      }),
    ]);
    await expect(container.get(Url)).rejects.toThrow('first try fails');
    expect(await container.get(Url)).toBe('ok');
  });

  it('passes a factory error through unchanged, so domain errors keep their meaning', async () => {
    const boom = new RangeError('no');
    const container = Container.build([
      provide(Url, {
        use: () => {
          throw boom;
        },
      }),
    ]);
    await expect(container.get(Url)).rejects.toBe(boom);
  });

  it('rejects an unknown token with an error naming it', async () => {
    const container = Container.build([]);
    const error = await container.get(token<number>('Missing')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownDependencyError);
    expect((error as Error).message).toContain('Missing');
    await expect(container.get(UserRepository)).rejects.toThrow(/No provider for UserRepository/);
  });

  it('refuses request-scoped values from the app scope', async () => {
    const container = Container.build([
      provide(RequestId, { use: () => 'r', lifetime: 'request' }),
    ]);
    await expect(container.get(RequestId)).rejects.toBeInstanceOf(ScopeError);
    await expect(container.get(RequestId)).rejects.toThrow(/request-scoped/);
  });

  it('getOptional resolves registered tokens and gives undefined for others', async () => {
    const container = Container.build([provide(Url, { value: 'u' })]);
    expect(await container.getOptional(Url)).toBe('u');
    expect(await container.getOptional(RequestId)).toBeUndefined();
    expect(container.has(Url)).toBe(true);
    expect(container.has(RequestId)).toBe(false);
  });
});

describe('Container: finalizers (DI-4)', () => {
  function tracked() {
    const log: string[] = [];
    const A = token<string>('A');
    const B = token<string>('B');
    const C = token<string>('C');
    const App = token<string>('App');
    const fin = (name: string) => (value: string, error: unknown) => {
      log.push(`${name}:${value}${error === undefined ? '' : `:${(error as Error).message}`}`);
    };
    const container = Container.build([
      provide(App, { use: () => 'app', dispose: fin('App') }),
      provide(A, { deps: [App], use: () => 'a', lifetime: 'request', dispose: fin('A') }),
      provide(B, {
        deps: [A],
        use: () => later(() => 'b'),
        lifetime: 'request',
        dispose: async (v, e) => {
          await tick();
          fin('B')(v, e);
        },
      }),
      provide(C, { deps: [B, A], use: () => 'c', lifetime: 'request', dispose: fin('C') }),
    ]);
    return { log, container, C, App };
  }

  it('runs request finalizers in reverse creation order when the scope closes', async () => {
    const { log, container, C } = tracked();
    {
      await using scope = container.createScope();
      await scope.get(C);
    }
    expect(log).toEqual(['C:c', 'B:b', 'A:a']);
    await container.close();
    expect(log).toEqual(['C:c', 'B:b', 'A:a', 'App:app']);
  });

  it('runs finalizers when the unit of work threw', async () => {
    const { log, container, C } = tracked();
    const work = async () => {
      await using scope = container.createScope();
      await scope.get(C);
      throw new Error('handler failed');
    };
    await expect(work()).rejects.toThrow('handler failed');
    expect(log).toEqual(['C:c', 'B:b', 'A:a']);
  });

  it('passes the error that ended the scope to finalizers via close(error)', async () => {
    const { log, container, C } = tracked();
    const scope = container.createScope();
    await scope.get(C);
    await scope.close(new Error('boom'));
    expect(log).toEqual(['C:c:boom', 'B:b:boom', 'A:a:boom']);
  });

  it('only finalizes what was created, and closing twice is harmless', async () => {
    const { log, container } = tracked();
    const scope = container.createScope();
    await scope.close();
    await scope.close();
    expect(log).toEqual([]);
    await expect(scope.get(token('X'))).rejects.toBeInstanceOf(UnknownDependencyError);
  });

  it('finalizes constant values when the container closes', async () => {
    const log: string[] = [];
    const container = Container.build([
      provide(Url, { value: 'u', dispose: (v, e) => void log.push(`${v}:${String(e)}`) }),
    ]);
    await container.close();
    expect(log).toEqual(['u:undefined']);
  });

  it('every close() call waits for the finalizers and sees their failure', async () => {
    const log: string[] = [];
    const container = Container.build([
      provide(Url, {
        use: () => 'u',
        dispose: async () => {
          await tick(10);
          log.push('closed');
          throw new Error('flush failed');
        },
      }),
    ]);
    await container.get(Url);
    const first = container.close();
    const second = container.close();
    await expect(second).rejects.toBeInstanceOf(DisposalError);
    expect(log).toEqual(['closed']);
    await expect(first).rejects.toBeInstanceOf(DisposalError);
  });

  it('refuses resolution from a request scope once the container is closed', async () => {
    const { container, App } = tracked();
    const scope = container.createScope();
    await container.close();
    await expect(scope.get(App)).rejects.toThrow(/Cannot resolve App: the container is closed/);
  });

  it('refuses resolution from a closed scope', async () => {
    const { container, C } = tracked();
    const scope = container.createScope();
    await scope.close();
    await expect(scope.get(C)).rejects.toThrow(/scope is closed/);
  });

  it('runs every finalizer even when some fail, then reports them together', async () => {
    const log: string[] = [];
    const A = token<number>('A');
    const B = token<number>('B');
    const C = token<number>('C');
    const container = Container.build([
      provide(A, { use: () => 1, dispose: () => void log.push('A') }),
      provide(B, {
        deps: [A],
        use: () => 2,
        dispose: () => {
          throw new Error('B broke');
        },
      }),
      provide(C, {
        deps: [B],
        use: () => 3,
        dispose: async () => {
          throw new Error('C broke');
        },
      }),
    ]);
    await container.get(C);
    const error = await container.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DisposalError);
    expect((error as DisposalError).failures.map((f) => f.dependency)).toEqual(['C', 'B']);
    expect(log).toEqual(['A']);
  });

  it('waits for values still being created before finalizing them', async () => {
    const log: string[] = [];
    const container = Container.build([
      provide(Url, {
        use: () => later(() => 'late', 10),
        dispose: (v) => void log.push(v),
      }),
    ]);
    const pending = container.get(Url);
    await container.close();
    expect(await pending).toBe('late');
    expect(log).toEqual(['late']);
  });
});

describe('Container: warmup (DI-6)', () => {
  it('creates every app-scoped value, not request-scoped ones', async () => {
    const created: string[] = [];
    const record = <T>(name: string, value: T): T => {
      created.push(name);
      return value;
    };
    const container = Container.build([
      provide(Url, { use: () => record('Url', 'u') }),
      provide(Database, { deps: [Url], use: (u) => record('Database', new Database(u)) }),
      provide(RequestId, { use: () => record('RequestId', 'r'), lifetime: 'request' }),
    ]);
    await container.warmup();
    expect(created).toEqual(['Url', 'Database']);
  });

  it('names the provider whose factory failed', async () => {
    const container = Container.build([
      provide(Database, { deps: [Url], use: (u) => new Database(u) }),
      provide(Url, {
        use: async () => {
          throw new Error('vault unreachable');
        },
      }),
    ]);
    const error = await container.warmup().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyCreationError);
    expect((error as Error).message).toBe('Provider Url (for Database) failed: vault unreachable');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('Container: values supplied to a request scope', () => {
  interface IncomingRequest {
    readonly headers: Record<string, string>;
  }
  const HttpRequest = token<IncomingRequest>('HttpRequest');
  const CurrentUser = token<string>('CurrentUser');
  const build = () =>
    Container.build([
      supplied(HttpRequest),
      provide(CurrentUser, {
        deps: [HttpRequest],
        use: (req) => req.headers['x-user'] ?? 'anonymous',
        lifetime: 'request',
      }),
    ]);

  it('lets providers depend on a value handed to each scope', async () => {
    const container = build();
    await using a = container.createScope(supply(HttpRequest, { headers: { 'x-user': 'ada' } }));
    await using b = container.createScope(supply(HttpRequest, { headers: {} }));
    expect(await a.get(CurrentUser)).toBe('ada');
    expect(await b.get(CurrentUser)).toBe('anonymous');
  });

  it('says so when a scope was opened without the value', async () => {
    await using scope = build().createScope();
    await expect(scope.get(CurrentUser)).rejects.toThrow(
      'HttpRequest was not supplied to this scope: open it with createScope(supply(HttpRequest, value))',
    );
  });

  it('refuses a value for a token not declared as supplied', () => {
    expect(() => build().createScope(supply(CurrentUser, 'x'))).toThrow(
      /CurrentUser cannot be supplied to a scope: declare it with supplied\(CurrentUser\)/,
    );
  });

  it('an app-scoped provider cannot depend on a supplied value', () => {
    expect(() =>
      Container.build([
        supplied(HttpRequest),
        provide(Url, { deps: [HttpRequest], use: () => 'u' }),
      ]),
    ).toThrow(/app-scoped Url depends on request-scoped HttpRequest/);
  });
});
