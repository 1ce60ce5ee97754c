import {
  Container,
  DependencyGraphError,
  type GraphProblem,
  provide,
  setProviderHint,
  token,
  UsageError,
} from 'libretto';
import { describe, expect, it } from 'vitest';

const A = token<string>('A');
const B = token<string>('B');
const C = token<string>('C');
const D = token<string>('D');
const Db = token<string>('Db');
const CurrentUser = token<string>('CurrentUser');

function problemsOf(build: () => unknown): readonly GraphProblem[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(DependencyGraphError);
    return (error as DependencyGraphError).problems;
  }
  throw new Error('expected a DependencyGraphError');
}

describe('Container.build validation (DI-5)', () => {
  it('reports a missing provider with the chain that needs it', () => {
    const problems = problemsOf(() =>
      Container.build([
        provide(A, { deps: [B], use: (b) => b }),
        provide(B, { deps: [Db], use: (db) => db }),
      ]),
    );
    expect(problems).toEqual([
      {
        kind: 'missing',
        dependency: 'Db',
        chain: ['A', 'B', 'Db'],
        message: 'missing provider for Db: A -> B -> Db',
      },
    ]);
  });

  it('reports a cycle with its path', () => {
    const problems = problemsOf(() =>
      Container.build([
        provide(A, { deps: [B], use: (b) => b }),
        provide(B, { deps: [C], use: (c) => c }),
        provide(C, { deps: [A], use: (a) => a }),
      ]),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.kind).toBe('cycle');
    expect(problems[0]?.chain).toEqual(['A', 'B', 'C', 'A']);
  });

  it('reports a self-dependency as a cycle', () => {
    const problems = problemsOf(() => Container.build([provide(A, { deps: [A], use: (a) => a })]));
    expect(problems.map((p) => p.message)).toEqual(['cycle: A -> A']);
  });

  it('reports an app-scoped provider depending on a request-scoped one', () => {
    const problems = problemsOf(() =>
      Container.build([
        provide(A, { deps: [B], use: (b) => b }),
        provide(B, { deps: [CurrentUser], use: (u) => u }),
        provide(CurrentUser, { use: () => 'u', lifetime: 'request' }),
      ]),
    );
    expect(problems).toEqual([
      {
        kind: 'lifetime',
        dependency: 'B',
        chain: ['A', 'B', 'CurrentUser'],
        message: 'app-scoped B depends on request-scoped CurrentUser: A -> B -> CurrentUser',
      },
    ]);
  });

  it('reports duplicates unless override: true, naming who registered them', () => {
    const first = provide(Db, { value: 'one' });
    expect(() =>
      Container.build([first, { ...provide(Db, { value: 'two' }), source: 'PostgresService' }]),
    ).toThrow(
      /duplicate provider for Db \(from application, then from PostgresService\); pass override: true/,
    );
  });

  it('lets a later provider with override: true replace an earlier one', async () => {
    const container = Container.build([
      provide(Db, { value: 'one' }),
      provide(Db, { value: 'two', override: true }),
    ]);
    expect(await container.get(Db)).toBe('two');
  });

  it('reports every problem at once, in one error', () => {
    let caught: unknown;
    try {
      Container.build([
        provide(A, { deps: [B, Db], use: (b) => b }),
        provide(B, { deps: [C], use: (c) => c }),
        provide(C, { deps: [B], use: (b) => b }),
        provide(D, { deps: [CurrentUser], use: (u) => u }),
        provide(CurrentUser, { use: () => 'u', lifetime: 'request' }),
        provide(D, { value: 'again' }),
      ]);
    } catch (error) {
      caught = error;
    }
    const error = caught as DependencyGraphError;
    expect(error).toBeInstanceOf(DependencyGraphError);
    expect(error.code).toBe('DI_INVALID_GRAPH');
    expect(error.problems.map((p) => p.kind).sort()).toEqual([
      'cycle',
      'duplicate',
      'lifetime',
      'missing',
    ]);
    expect(error.message).toContain('Invalid dependency graph (4 problems)');
    expect(error.message).toContain('missing provider for Db: A -> Db');
    expect(error.message).toContain('cycle: B -> C -> B');
    expect(error.message).toContain('app-scoped D depends on request-scoped CurrentUser');
    expect(error.message).toContain('duplicate provider for D');
  });

  it('reports a missing token once even when several providers need it', () => {
    const problems = problemsOf(() =>
      Container.build([
        provide(A, { deps: [Db], use: (d) => d }),
        provide(B, { deps: [Db], use: (d) => d }),
      ]),
    );
    expect(problems).toHaveLength(1);
  });

  it('checks requirements like dependencies, their path first in the chain', () => {
    const problems = problemsOf(() =>
      Container.build(
        [
          provide(A, { deps: [Db], use: (d) => d }),
          provide(CurrentUser, { use: () => 'u', lifetime: 'request' }),
        ],
        [
          { token: CurrentUser, path: ['GET /me', 'inject.user'] },
          { token: A, path: ['GET /a', 'inject.a'] },
          { token: B, path: ['GET /b', 'inject.b'] },
        ],
      ),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'missing provider for Db: GET /a -> inject.a -> A -> Db',
      'missing provider for B: GET /b -> inject.b -> B',
    ]);
  });

  it('names what provides a token that has a provider hint', async () => {
    const Pool = token<string>('Pool');
    setProviderHint(Pool, 'PoolService from my-lib');
    const problems = problemsOf(() =>
      Container.build([provide(A, { deps: [Pool], use: (p) => p })]),
    );
    expect(problems[0]?.message).toBe(
      'missing provider for Pool: A -> Pool (provided by PoolService from my-lib)',
    );
    expect(problems[0]?.hint).toBe('PoolService from my-lib');
    await expect(Container.build([]).get(Pool)).rejects.toThrow(
      'No provider for Pool: register PoolService from my-lib or provide(Pool, …)',
    );
  });

  it('validates a large graph quickly enough to run at every start', () => {
    const tokens = Array.from({ length: 500 }, (_, i) => token<number>(`T${i}`));
    const providers = tokens.map((t, i) =>
      i === 0
        ? provide(t, { value: 0 })
        : provide(t, { deps: [tokens[i - 1] as typeof t], use: (n: number) => n + 1 }),
    );
    const container = Container.build(providers);
    return expect(container.get(tokens[499] as (typeof tokens)[0])).resolves.toBe(499);
  });
});

describe('provide() runtime checks', () => {
  const untyped = (options: object) => options as unknown as Parameters<typeof provide>[1];
  it('rejects a value combined with a factory', () => {
    expect(() => provide(A, untyped({ value: 'x', use: () => 'y' }))).toThrow(UsageError);
  });
  it('rejects unknown options, bad lifetimes and non-token dependencies', () => {
    expect(() => provide(A, untyped({ use: () => 'a', lifetme: 'request' }))).toThrow(
      'provide(A): lifetme unknown option',
    );
    expect(() => provide(A, untyped({ use: () => 'a', lifetime: 'session' }))).toThrow(
      /lifetime must be 'app' or 'request'/,
    );
    expect(() => provide(A, untyped({ use: () => 'a', deps: [B, 'C'] }))).toThrow(
      'provide(A): deps[1] is not a token or class',
    );
    expect(() => provide(A, untyped({ value: 'a', lifetime: 'request' }))).toThrow(/app-scoped/);
  });
  it('rejects options with neither value nor use', () => {
    expect(() => provide(A, untyped({}))).toThrow(/give either `value`, or `use`/);
  });
});
