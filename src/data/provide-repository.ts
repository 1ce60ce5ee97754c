import { type Provider, provide } from '../di/provider.js';
import type { InjectionToken } from '../di/token.js';
import { Database } from '../postgres/database.js';
import type { Model } from './model.js';
import type { Fields, ModelOptions } from './model-types.js';
import { Repository } from './repository.js';
import type { RepositoryOptions } from './repository-options.js';
import type { RepositoryOutbox } from './repository-outbox.js';

/** The repository type of a model: `RepositoryOf<typeof Person>`. */
export type RepositoryOf<M> =
  M extends Model<infer N, infer F, infer O> ? Repository<N, F, O> : never;

/** Options of {@link provideRepository}: a repository's, with the outbox as a DI token. */
export interface ProvideRepositoryOptions extends Omit<RepositoryOptions, 'outbox'> {
  /** The token of the outbox writes with a `message` go to: `Outbox` from `libretto/messaging`. */
  readonly outbox?: InjectionToken<RepositoryOutbox>;
}

/**
 * Provides a model's repository over the application's `Database`, app-scoped:
 * it joins whatever transaction is open when it is used.
 *
 * @example
 * const People = token<RepositoryOf<typeof Person>>('People');
 * new Application(new PostgresService(), { providers: [provideRepository(People, Person)] });
 * // Writes with a message: provideRepository(People, Person, { outbox: Outbox }) and an OutboxService.
 */
export function provideRepository<N extends string, F extends Fields, O extends ModelOptions<F>>(
  token: InjectionToken<Repository<N, F, O>>,
  model: Model<N, F, O>,
  options: ProvideRepositoryOptions = {},
): Provider {
  const { outbox, ...rest } = options;
  if (outbox === undefined) {
    return provide(token, { deps: [Database], use: (db) => new Repository(model, db, rest) });
  }
  return provide(token, {
    deps: [Database, outbox],
    use: (db, o) => new Repository(model, db, { ...rest, outbox: o }),
  });
}
