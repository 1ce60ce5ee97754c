import {
  Application,
  type ApplicationOptions,
  ConfigService,
  configSection,
  DeadlineExceededError,
  DependencyGraphError,
  Logger,
  provide,
  RawConfig,
  resolveSettings,
  Service,
  ShutdownError,
  StartupError,
  token,
  UsageError,
} from 'libretto';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { capturedLogger } from './log-capture.js';

class Recorder extends Service {
  constructor(
    name: string,
    readonly log: string[],
    readonly opts: { failStart?: Error; failStop?: Error; stopDelay?: number } = {},
  ) {
    super(name);
  }
  override async start(): Promise<void> {
    if (this.opts.failStart) throw this.opts.failStart;
    this.log.push(`start ${this.name}`);
  }
  override async stop(error?: unknown): Promise<void> {
    this.log.push(`stop ${this.name}${error instanceof Error ? ` (${error.message})` : ''}`);
    if (this.opts.stopDelay) await new Promise((r) => setTimeout(r, this.opts.stopDelay));
    if (this.opts.failStop) throw this.opts.failStop;
  }
}

const quiet = () => capturedLogger().logger;

describe('Application lifecycle (APP-1..3)', () => {
  it('starts services in order and stops them in reverse, passing the error', async () => {
    const log: string[] = [];
    const app = new Application(
      new Recorder('A', log),
      new Recorder('B', log),
      new Recorder('C', log),
      {
        logger: quiet(),
      },
    );
    await app.start();
    expect(app.state).toBe('running');
    await app.stop(new Error('shutting down'));
    expect(log).toEqual([
      'start A',
      'start B',
      'start C',
      'stop C (shutting down)',
      'stop B (shutting down)',
      'stop A (shutting down)',
    ]);
    expect(app.state).toBe('stopped');
  });

  it('a failing start stops those already started and names the failing service', async () => {
    const log: string[] = [];
    const app = new Application(
      new Recorder('A', log),
      new Recorder('B', log),
      new Recorder('C', log, { failStart: new Error('port 80 in use') }),
      new Recorder('D', log),
      { logger: quiet() },
    );
    const error = (await app.start().catch((e: unknown) => e)) as StartupError;
    expect(error).toBeInstanceOf(StartupError);
    expect(error.service).toBe('C');
    expect(error.message).toBe('Service C failed to start: port 80 in use');
    expect((error.cause as Error).message).toBe('port 80 in use');
    expect(log).toEqual([
      'start A',
      'start B',
      'stop B (Service C failed to start: port 80 in use)',
      'stop A (Service C failed to start: port 80 in use)',
    ]);
    expect(app.state).toBe('stopped');
  });

  it('collects providers from the application and its services into one container (DI-1)', async () => {
    const Greeting = token<string>('Greeting');
    const Name = token<string>('Name');
    class Greeter extends Service {
      greeting = '';
      override providers() {
        return [provide(Greeting, { deps: [Name], use: (n) => `hello ${n}` })];
      }
      override async start() {
        this.greeting = await this.getDependency(Greeting);
      }
    }
    const greeter = new Greeter();
    const app = new Application(greeter, {
      providers: [provide(Name, { value: 'world' })],
      logger: quiet(),
    });
    await app.start();
    expect(greeter.greeting).toBe('hello world');
    expect(await app.container.get(Logger)).toBe(app.logger);
    await app.stop();
  });

  it('reports every DI problem at start, naming the contributing service', async () => {
    const Db = token<string>('Db');
    class Repo extends Service {
      override providers() {
        return [
          provide(Db, { value: 'from service' }),
          provide(token<number>('X'), { deps: [token<string>('Nope')], use: () => 1 }),
        ];
      }
    }
    const app = new Application(new Repo('Repo'), {
      providers: [provide(Db, { value: 'from app' })],
      logger: quiet(),
    });
    const error = (await app.start().catch((e: unknown) => e)) as StartupError;
    expect(error).toBeInstanceOf(StartupError);
    expect(error.cause).toBeInstanceOf(DependencyGraphError);
    expect(error.message).toContain('duplicate provider for Db (from Repo, then from application)');
    expect(error.message).toContain('missing provider for Nope: X -> Nope');
  });

  it('lets the application override a provider a service contributed', async () => {
    const Clock = token<string>('Clock');
    class Timer extends Service {
      override providers() {
        return [provide(Clock, { value: 'real clock' })];
      }
    }
    const app = new Application(new Timer(), {
      providers: [provide(Clock, { value: 'fake clock', override: true })],
      logger: quiet(),
    });
    await app.start();
    expect(await app.container.get(Clock)).toBe('fake clock');
    await app.stop();
  });

  it('masks secrets in the startup error built from a failing factory', async () => {
    const app = new Application(new Recorder('A', []), {
      providers: [
        provide(token<string>('Pool'), {
          use: async () => {
            throw new Error('cannot reach postgresql://app:Hunter22@db/app');
          },
        }),
      ],
      logger: quiet(),
    });
    const error = (await app.start().catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('postgresql://app:***@db/app');
    expect(JSON.stringify(error)).not.toContain('Hunter22');
  });

  it('warmup failure fails the start naming the provider, before any service starts', async () => {
    const log: string[] = [];
    const Pool = token<string>('Pool');
    const app = new Application(new Recorder('A', log), {
      providers: [
        provide(Pool, {
          use: async () => {
            throw new Error('connection refused');
          },
        }),
      ],
      logger: quiet(),
    });
    await expect(app.start()).rejects.toThrow(
      'Application failed to start: Provider Pool failed: connection refused',
    );
    expect(log).toEqual([]);
  });

  it('without warmup, app-scoped values are created on demand', async () => {
    let created = false;
    const Lazy = token<number>('Lazy');
    const app = new Application(new Recorder('A', []), {
      providers: [
        provide(Lazy, {
          use: () => {
            created = true;
            return 1;
          },
        }),
      ],
      warmup: false,
      logger: quiet(),
    });
    await app.start();
    expect(created).toBe(false);
    expect(await app.container.get(Lazy)).toBe(1);
    await app.stop();
  });

  it('runs app-scope finalizers after the services stopped', async () => {
    const log: string[] = [];
    const Pool = token<string>('Pool');
    const app = new Application(new Recorder('A', log), {
      providers: [
        provide(Pool, { use: () => 'pool', dispose: () => void log.push('pool closed') }),
      ],
      logger: quiet(),
    });
    await app.start();
    await app.stop();
    expect(log).toEqual(['start A', 'stop A', 'pool closed']);
  });

  it('stop failures are reported together after every service was stopped', async () => {
    const log: string[] = [];
    const app = new Application(
      new Recorder('A', log, { failStop: new Error('A stuck') }),
      new Recorder('B', log, { failStop: new Error('B stuck') }),
      { logger: quiet() },
    );
    await app.start();
    const error = (await app.stop().catch((e: unknown) => e)) as ShutdownError;
    expect(error).toBeInstanceOf(ShutdownError);
    expect(error.failures.map((f) => f.service)).toEqual(['B', 'A']);
    expect(log).toEqual(['start A', 'start B', 'stop B', 'stop A']);
  });

  it('bounds shutdown by shutdownTimeout (APP-5)', async () => {
    const app = new Application(new Recorder('Slow', [], { stopDelay: 5_000 }), {
      shutdownTimeout: 100,
      logger: quiet(),
    });
    await app.start();
    const began = Date.now();
    const error = await app.stop().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toBe(
      'Shutdown did not finish within 100 ms: Slow is still stopping',
    );
    expect(Date.now() - began).toBeLessThan(2_000);
  });

  it('a service whose stop hangs past serviceStopTimeout still lets the services before it stop', async () => {
    const log: string[] = [];
    const Pool = token<{ open: boolean }>('Pool');
    const pool = { open: true };
    const app = new Application(
      new Recorder('Database', log),
      new Recorder('Http', log, { stopDelay: 5_000 }),
      {
        serviceStopTimeout: 100,
        providers: [
          provide(Pool, {
            value: pool,
            dispose: (p) => {
              p.open = false;
            },
          }),
        ],
        logger: quiet(),
      },
    );
    await app.start();
    const error = (await app.stop().catch((e: unknown) => e)) as ShutdownError;
    expect(error).toBeInstanceOf(ShutdownError);
    expect(error.failures.map((f) => f.service)).toEqual(['Http']);
    const cause = error.failures[0]?.error as DeadlineExceededError;
    expect(cause).toBeInstanceOf(DeadlineExceededError);
    expect(cause.code).toBe('APP_SERVICE_STOP_TIMEOUT');
    expect(cause.message).toBe(
      'Service Http did not stop within 100 ms; stopping the services started before it',
    );
    expect(log).toEqual(['start Database', 'start Http', 'stop Http', 'stop Database']);
    // The container closed: its finalizers ran.
    expect(pool.open).toBe(false);
  });

  it('rejects a serviceStopTimeout out of range', () => {
    expect(() => new Application({ serviceStopTimeout: 0 })).toThrow(
      /options.serviceStopTimeout must be between 1 and/,
    );
  });

  it('a stop during start starts nothing more and is bounded by the timeout', async () => {
    const log: string[] = [];
    let release: () => void = () => undefined;
    class Hanging extends Service {
      override start() {
        log.push('start Hanging');
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      override stop() {
        log.push('stop Hanging');
      }
    }
    const app = new Application(new Recorder('A', log), new Hanging(), new Recorder('C', log), {
      shutdownTimeout: 150,
      logger: quiet(),
    });
    const starting = app.start();
    await new Promise((r) => setTimeout(r, 20));
    const error = await app.stop().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toBe(
      'Shutdown did not finish within 150 ms: Hanging is still starting; not stopped yet: A',
    );
    release();
    await starting;
    expect(log).toEqual(['start A', 'start Hanging']);
  });

  it('a stop during a start that completes stops what started, and nothing after it', async () => {
    const log: string[] = [];
    class Slow extends Recorder {
      override async start() {
        await new Promise((r) => setTimeout(r, 50));
        await super.start();
      }
    }
    const app = new Application(
      new Recorder('A', log),
      new Slow('B', log),
      new Recorder('C', log),
      {
        logger: quiet(),
      },
    );
    const starting = app.start();
    await new Promise((r) => setTimeout(r, 10));
    await app.stop();
    await starting;
    expect(log).toEqual(['start A', 'start B', 'stop B', 'stop A']);
    expect(app.state).toBe('stopped');
  });

  it('stop() is idempotent and a started application cannot start again', async () => {
    const log: string[] = [];
    const app = new Application(new Recorder('A', log), { logger: quiet() });
    await app.start();
    await expect(app.start()).rejects.toMatchObject({
      name: 'UsageError',
      code: 'APP_ALREADY_STARTED',
    });
    await Promise.all([app.stop(), app.stop()]);
    await app.stop();
    expect(log).toEqual(['start A', 'stop A']);
  });

  it('gives services an abort signal and lets them request a stop with an error', async () => {
    const log: string[] = [];
    let signal: AbortSignal | undefined;
    class Worker extends Service {
      override start() {
        signal = this.signal;
        setTimeout(() => this.requestStop(new Error('queue vanished')), 10);
      }
      override stop(error?: unknown) {
        log.push(`stop ${(error as Error).message}`);
      }
    }
    const app = new Application(new Worker(), { logger: quiet() });
    await app.start();
    expect(signal?.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(signal?.aborted).toBe(true);
    expect(log).toEqual(['stop queue vanished']);
    expect(app.state).toBe('stopped');
  });

  it('gives each service a child logger bound to its name', async () => {
    const capture = capturedLogger();
    class Talker extends Service {
      override start() {
        this.logger.info('hello from talker');
      }
    }
    const app = new Application(new Talker('Talker'), { logger: capture.logger });
    await app.start();
    await app.stop();
    expect(capture.lines).toContainEqual(
      expect.objectContaining({ service: 'Talker', msg: 'hello from talker' }),
    );
  });

  it('a service used outside an application says so', async () => {
    class Lonely extends Service {}
    await expect(() => new Lonely().getDependency(Logger)).toThrow(
      /not attached to a running Application/,
    );
  });

  it('rejects bad constructor arguments with a clear error', () => {
    const a = new Recorder('A', []);
    expect(() => new Application(a, a)).toThrow(/services\[1\] A is listed twice/);
    expect(() => new Application(a, 'x' as unknown as Service, {})).toThrow(
      /services\[1\] is not a Service/,
    );
    expect(() => new Application(a, { shutdownTimeout: -1 })).toThrow(UsageError);
    expect(() => new Application(a, { shutdownTimeout: -1 })).toThrow(
      /options.shutdownTimeout must be/,
    );
    expect(() => new Application(a, { warmpu: false } as ApplicationOptions)).toThrow(
      'Application: options.warmpu unknown option',
    );
  });
});

describe('Application with ConfigService (CFG-1)', () => {
  it('provides the raw and typed configuration in DI', async () => {
    const Worker = configSection('worker', z.object({ interval_ms: z.number() }));
    const app = new Application(
      new ConfigService({
        sections: [Worker],
        argv: [],
        env: { LIBRETTO_WORKER__INTERVAL_MS: '42' },
      }),
      { logger: quiet() },
    );
    await app.start();
    expect(await app.container.get(Worker)).toEqual({ interval_ms: 42 });
    expect(await app.container.get(RawConfig)).toEqual({ worker: { interval_ms: 42 } });
    await app.stop();
  });

  it('invalid configuration fails the start with the key path', async () => {
    const Worker = configSection('worker', z.object({ interval_ms: z.number() }));
    const app = new Application(
      new ConfigService({
        sections: [Worker],
        argv: [],
        env: { LIBRETTO_WORKER__INTERVAL_MS: 'soon' },
      }),
      { logger: quiet() },
    );
    await expect(app.start()).rejects.toThrow(
      /worker\.interval_ms \(LIBRETTO_WORKER__INTERVAL_MS\): .*expected number/,
    );
  });
});

describe('Settings precedence through DI (CFG-4)', () => {
  const GreeterConfig = configSection(
    'greeter',
    z.strictObject({ greeting: z.string().optional(), punctuation: z.string().optional() }),
  );
  interface GreeterSettings {
    greeting: string;
    punctuation: string;
    name: string;
  }
  class Greeter extends Service {
    settings: GreeterSettings | undefined;
    constructor(private readonly explicit: Partial<GreeterSettings> = {}) {
      super('Greeter');
    }
    override async start() {
      const provided = await this.getOptionalDependency(GreeterConfig);
      this.settings = resolveSettings(
        { greeting: 'hello', punctuation: '.', name: 'world' },
        provided,
        this.explicit,
      );
    }
  }

  it('constructor values beat configuration from DI, which beats defaults', async () => {
    const greeter = new Greeter({ punctuation: '!' });
    const app = new Application(
      new ConfigService({
        sections: [GreeterConfig],
        argv: [],
        env: { LIBRETTO_GREETER__GREETING: 'hi', LIBRETTO_GREETER__PUNCTUATION: '?' },
      }),
      greeter,
      { logger: quiet() },
    );
    await app.start();
    expect(greeter.settings).toEqual({ greeting: 'hi', punctuation: '!', name: 'world' });
    await app.stop();
  });

  it('any DI provider of the section works, not only the YAML loader', async () => {
    const greeter = new Greeter();
    const app = new Application(greeter, {
      providers: [provide(GreeterConfig, { value: { greeting: 'hey' } })],
      logger: quiet(),
    });
    await app.start();
    expect(greeter.settings).toEqual({ greeting: 'hey', punctuation: '.', name: 'world' });
    await app.stop();
  });

  it('without any configuration the defaults hold', async () => {
    const greeter = new Greeter();
    const app = new Application(greeter, { logger: quiet() });
    await app.start();
    expect(greeter.settings).toEqual({ greeting: 'hello', punctuation: '.', name: 'world' });
    await app.stop();
  });
});
