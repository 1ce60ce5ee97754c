declare const valueType: unique symbol;

/**
 * A typed key for a value in the container that is not a class: `token<Config>('Config')`.
 * The name is for diagnostics only; identity is the token object itself.
 *
 * @example
 * const Clock = token<() => Date>('Clock');
 * provide(Clock, { value: () => new Date() });
 */
export class Token<T> {
  // Phantom: carries T for the compiler, never set at run time.
  declare readonly [valueType]: T;

  constructor(readonly name: string) {}

  toString(): string {
    return `Token(${this.name})`;
  }
}

/**
 * Creates a typed DI key for a value that has no class of its own (a string, a config
 * object, an interface): `token<string>('Greeting')`. The name appears in DI errors.
 */
export function token<T>(name: string): Token<T> {
  return new Token<T>(name);
}

/** Any class (abstract classes included) whose instances are of type `T`. */
export type Class<T> = abstract new (...args: never) => T;

/** What can key a provider: a `Token<T>` or a class whose instances are `T`. */
export type InjectionToken<T> = Token<T> | Class<T>;

/** The type a token resolves to. */
export type Resolved<K> =
  K extends Token<infer T> ? T : K extends abstract new (...args: never) => infer T ? T : never;

/** The types a tuple of tokens resolves to, position by position. */
export type ResolvedAll<D extends readonly unknown[]> = {
  -readonly [I in keyof D]: Resolved<D[I]>;
};

/** Name of a token for messages. */
export function tokenName(key: InjectionToken<unknown>): string {
  return key instanceof Token ? key.name : key.name || '<anonymous class>';
}
