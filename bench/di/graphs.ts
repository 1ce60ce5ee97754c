// The same dependency graph built with each DI container: 3 app-scoped providers
// (Config, Database, Logger) under 5 request-scoped ones (RequestContext, UserRepository,
// OrderRepository, UserService, Handler). RequestContext has a finalizer where the
// container supports one.
import { asFunction, createContainer, InjectionMode, Lifetime } from 'awilix';
import { Container as InversifyContainer } from 'inversify';
import { Container, provide, token } from '../../src/index.js';

export class Config {
  readonly url = 'postgres://bench';
}
export class Database {
  constructor(readonly config: Config) {}
}
export class Log {
  readonly lines: string[] = [];
}
export class RequestContext {
  closed = false;
}
export class UserRepository {
  constructor(
    readonly db: Database,
    readonly ctx: RequestContext,
  ) {}
}
export class OrderRepository {
  constructor(
    readonly db: Database,
    readonly ctx: RequestContext,
  ) {}
}
export class UserService {
  constructor(
    readonly users: UserRepository,
    readonly log: Log,
  ) {}
}
export class Handler {
  constructor(
    readonly service: UserService,
    readonly orders: OrderRepository,
    readonly ctx: RequestContext,
  ) {}
}

export function librettoGraph(): Container {
  return Container.build([
    provide(Config, { use: () => new Config() }),
    provide(Database, { deps: [Config], use: (c) => new Database(c) }),
    provide(Log, { use: () => new Log() }),
    provide(RequestContext, {
      use: () => new RequestContext(),
      lifetime: 'request',
      dispose: (ctx) => {
        ctx.closed = true;
      },
    }),
    provide(UserRepository, {
      deps: [Database, RequestContext],
      use: (db, ctx) => new UserRepository(db, ctx),
      lifetime: 'request',
    }),
    provide(OrderRepository, {
      deps: [Database, RequestContext],
      use: (db, ctx) => new OrderRepository(db, ctx),
      lifetime: 'request',
    }),
    provide(UserService, {
      deps: [UserRepository, Log],
      use: (u, l) => new UserService(u, l),
      lifetime: 'request',
    }),
    provide(Handler, {
      deps: [UserService, OrderRepository, RequestContext],
      use: (s, o, c) => new Handler(s, o, c),
      lifetime: 'request',
    }),
  ]);
}

interface Cradle {
  config: Config;
  db: Database;
  log: Log;
  ctx: RequestContext;
  users: UserRepository;
  orders: OrderRepository;
  service: UserService;
  handler: Handler;
}

/** awilix in PROXY mode (its default, minification-safe) with scoped registrations. */
export function awilixGraph() {
  const c = createContainer<Cradle>({ injectionMode: InjectionMode.PROXY });
  c.register({
    config: asFunction(() => new Config()).singleton(),
    db: asFunction(({ config }: Cradle) => new Database(config)).singleton(),
    log: asFunction(() => new Log()).singleton(),
    ctx: asFunction(() => new RequestContext())
      .setLifetime(Lifetime.SCOPED)
      .disposer((ctx) => {
        ctx.closed = true;
      }),
    users: asFunction(({ db, ctx }: Cradle) => new UserRepository(db, ctx)).scoped(),
    orders: asFunction(({ db, ctx }: Cradle) => new OrderRepository(db, ctx)).scoped(),
    service: asFunction(({ users, log }: Cradle) => new UserService(users, log)).scoped(),
    handler: asFunction(
      ({ service, orders, ctx }: Cradle) => new Handler(service, orders, ctx),
    ).scoped(),
  });
  return c;
}

/**
 * awilix in CLASSIC mode: parameters matched by name (not minification-safe, but its
 * fastest resolution path, with no proxy).
 */
export function awilixClassicGraph() {
  const c = createContainer({ injectionMode: InjectionMode.CLASSIC });
  c.register({
    config: asFunction(() => new Config()).singleton(),
    db: asFunction((config: Config) => new Database(config)).singleton(),
    log: asFunction(() => new Log()).singleton(),
    ctx: asFunction(() => new RequestContext())
      .setLifetime(Lifetime.SCOPED)
      .disposer((ctx: RequestContext) => {
        ctx.closed = true;
      }),
    users: asFunction((db: Database, ctx: RequestContext) => new UserRepository(db, ctx)).scoped(),
    orders: asFunction(
      (db: Database, ctx: RequestContext) => new OrderRepository(db, ctx),
    ).scoped(),
    service: asFunction((users: UserRepository, log: Log) => new UserService(users, log)).scoped(),
    handler: asFunction(
      (service: UserService, orders: OrderRepository, ctx: RequestContext) =>
        new Handler(service, orders, ctx),
    ).scoped(),
  });
  return c;
}

function bindApp(c: InversifyContainer): void {
  c.bind(Config)
    .toDynamicValue(() => new Config())
    .inSingletonScope();
  c.bind(Database)
    .toDynamicValue((ctx) => new Database(ctx.get(Config)))
    .inSingletonScope();
  c.bind(Log)
    .toDynamicValue(() => new Log())
    .inSingletonScope();
}

function bindRequest(c: InversifyContainer): void {
  const bindings = [
    c.bind(RequestContext).toDynamicValue(() => new RequestContext()),
    c
      .bind(UserRepository)
      .toDynamicValue((ctx) => new UserRepository(ctx.get(Database), ctx.get(RequestContext))),
    c
      .bind(OrderRepository)
      .toDynamicValue((ctx) => new OrderRepository(ctx.get(Database), ctx.get(RequestContext))),
    c
      .bind(UserService)
      .toDynamicValue((ctx) => new UserService(ctx.get(UserRepository), ctx.get(Log))),
    c
      .bind(Handler)
      .toDynamicValue(
        (ctx) =>
          new Handler(ctx.get(UserService), ctx.get(OrderRepository), ctx.get(RequestContext)),
      ),
  ];
  for (const b of bindings) b.inSingletonScope();
}

/** inversify's unit-of-work equivalent: a child container per request, then unbound. */
export function inversifyParent(): InversifyContainer {
  const c = new InversifyContainer();
  bindApp(c);
  return c;
}

export function inversifyChild(parent: InversifyContainer): InversifyContainer {
  const child = new InversifyContainer({ parent });
  bindRequest(child);
  return child;
}

/** A graph of `n` app-scoped providers, each depending on the two before it. */
export function largeGraph(n: number) {
  const tokens = Array.from({ length: n }, (_, i) => token<number>(`T${i}`));
  const libretto = () =>
    Container.build(
      tokens.map((t, i) => {
        const a = tokens[i - 1];
        const b = tokens[i - 2];
        if (a === undefined) return provide(t, { use: () => 0 });
        if (b === undefined) return provide(t, { deps: [a], use: (x) => x + 1 });
        return provide(t, { deps: [a, b], use: (x, y) => x + y });
      }),
    );
  const awilix = () => {
    const c = createContainer({ injectionMode: InjectionMode.PROXY });
    for (let i = 0; i < n; i++) {
      const fn =
        i === 0
          ? () => 0
          : i === 1
            ? (cr: Record<string, number>) => (cr.t0 as number) + 1
            : (cr: Record<string, number>) =>
                (cr[`t${i - 1}`] as number) + (cr[`t${i - 2}`] as number);
      c.register(`t${i}`, asFunction(fn).singleton());
    }
    return c;
  };
  const ids = Array.from({ length: n }, (_, i) => Symbol(`t${i}`));
  const inversify = () => {
    const c = new InversifyContainer();
    for (let i = 0; i < n; i++) {
      const a = ids[i - 1];
      const b = ids[i - 2];
      const id = ids[i] as symbol;
      if (a === undefined)
        c.bind<number>(id)
          .toDynamicValue(() => 0)
          .inSingletonScope();
      else if (b === undefined)
        c.bind<number>(id)
          .toDynamicValue((ctx) => ctx.get<number>(a) + 1)
          .inSingletonScope();
      else
        c.bind<number>(id)
          .toDynamicValue((ctx) => ctx.get<number>(a) + ctx.get<number>(b))
          .inSingletonScope();
    }
    return c;
  };
  return { tokens, ids, libretto, awilix, inversify };
}
