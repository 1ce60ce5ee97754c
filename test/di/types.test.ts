import { type InjectionToken, provide, provideClass, type Resolved, supply, token } from 'libretto';
import { describe, expectTypeOf, it } from 'vitest';

// These lines are checked by `npm run typecheck`: each @ts-expect-error must be an error.
class Db {
  query(): number {
    return 1;
  }
}
class Log {
  info(): void {}
}
class Users {
  constructor(
    readonly db: Db,
    readonly log: Log,
  ) {}
}
const Port = token<number>('Port');
const Name = token<string>('Name');

describe('DI types (DI-3)', () => {
  it('infers what a token resolves to', () => {
    expectTypeOf<Resolved<typeof Port>>().toEqualTypeOf<number>();
    expectTypeOf<Resolved<typeof Db>>().toEqualTypeOf<Db>();
    expectTypeOf(Port).toMatchTypeOf<InjectionToken<number>>();
  });

  it('types factory parameters from the dependency tuple', () => {
    provide(Name, {
      deps: [Port, Db],
      use: (port, db) => {
        expectTypeOf(port).toEqualTypeOf<number>();
        expectTypeOf(db).toEqualTypeOf<Db>();
        return `${port}:${db.query()}`;
      },
    });
    provide(Name, { deps: [Port], use: async (port) => String(port) });
  });

  it('rejects mismatches at compile time', () => {
    // Type-checked only: some of these would (rightly) throw at run time too.
    const mistakes = () => {
      // @ts-expect-error a value of the wrong type
      provide(Port, { value: 'eighty' });
      // @ts-expect-error a parameter typed differently from its dependency
      provide(Name, { deps: [Port, Db], use: (port: string, db) => `${port}${db.query()}` });
      // @ts-expect-error more parameters than dependencies
      provide(Name, { deps: [Port], use: (port, db: Db) => `${port}${db.query()}` });
      // @ts-expect-error a factory returning the wrong type
      provide(Name, { deps: [Port], use: (port) => port });
      // @ts-expect-error constructor arguments missing
      provideClass(Users, [Db]);
      // @ts-expect-error constructor arguments in the wrong order
      provideClass(Users, [Log, Db]);
      // @ts-expect-error a supplied value of the wrong type
      supply(Port, 'eighty');
      // @ts-expect-error a dependency list of non-tokens
      provide(Name, { deps: ['Port'], use: (p: string) => p });
    };
    expectTypeOf(mistakes).toBeFunction();
    provideClass(Users, [Db, Log]);
  });
});
