// A worker application: two periodic services sharing a queue through DI, configured from
// YAML and the environment. Run it with `npm start`; stop it with Ctrl-C.
import {
  Application,
  ConfigService,
  configSection,
  PeriodicService,
  provide,
  resolveSettings,
  type Scope,
} from 'libretto';
import * as z from 'zod';

// Typed configuration sections; unknown keys are rejected with their path.
const DispatcherConfig = configSection(
  'dispatcher',
  z.strictObject({
    interval_ms: z.number().int().positive().default(1000),
    batch_size: z.number().int().positive().default(1),
  }),
);
const ProducerConfig = configSection(
  'producer',
  z.strictObject({ interval_ms: z.number().int().positive().default(500) }),
);
const UpstreamConfig = configSection('upstream', z.strictObject({ dsn: z.string() }));

interface Job {
  readonly id: number;
  readonly createdAt: Date;
}

/** An app-scoped in-memory queue; its finalizer reports what was left at shutdown. */
class JobQueue {
  readonly #jobs: Job[] = [];
  #nextId = 1;
  push(): Job {
    const job = { id: this.#nextId++, createdAt: new Date() };
    this.#jobs.push(job);
    return job;
  }
  take(n: number): Job[] {
    return this.#jobs.splice(0, n);
  }
  get size(): number {
    return this.#jobs.length;
  }
}

/** Request-scoped: one per dispatcher run, closed when the run ends. */
class RunContext {
  static #runs = 0;
  readonly run = ++RunContext.#runs;
  readonly startedAt = performance.now();
}

class Producer extends PeriodicService {
  constructor() {
    super({ interval: 500, name: 'Producer' });
  }
  override async start(): Promise<void> {
    this.interval = (await this.getDependency(ProducerConfig)).interval_ms;
    await super.start();
  }
  protected override async tick(): Promise<void> {
    const job = (await this.getDependency(JobQueue)).push();
    this.logger.info({ job: job.id }, 'job queued');
  }
}

interface DispatcherSettings {
  readonly intervalMs: number;
  readonly batchSize: number;
}

class Dispatcher extends PeriodicService {
  readonly #explicit: Partial<DispatcherSettings>;
  constructor(explicit: Partial<DispatcherSettings> = {}) {
    super({ interval: 1000, name: 'Dispatcher' });
    this.#explicit = explicit;
  }

  #batchSize = 1;

  override async start(): Promise<void> {
    // Precedence: constructor values > configuration from DI > defaults.
    const config = await this.getDependency(DispatcherConfig);
    const settings = resolveSettings(
      { intervalMs: 1000, batchSize: 1 },
      { intervalMs: config.interval_ms, batchSize: config.batch_size },
      this.#explicit,
    );
    this.interval = settings.intervalMs;
    this.#batchSize = settings.batchSize;
    // Logged as is: the logger masks the password inside the DSN.
    const upstream = await this.getDependency(UpstreamConfig);
    this.logger.info({ settings, upstream: upstream.dsn }, 'dispatcher ready');
    await super.start();
  }

  protected override async tick(scope: Scope): Promise<void> {
    const [queue, context] = await Promise.all([scope.get(JobQueue), scope.get(RunContext)]);
    const jobs = queue.take(this.#batchSize);
    if (jobs.length === 0) return;
    this.logger.info(
      { run: context.run, jobs: jobs.map((j) => j.id), left: queue.size },
      'jobs dispatched',
    );
  }
}

await new Application(
  new ConfigService({ sections: [DispatcherConfig, ProducerConfig, UpstreamConfig] }),
  new Producer(),
  new Dispatcher(),
  {
    providers: [
      provide(JobQueue, {
        use: () => new JobQueue(),
        dispose: (queue) => console.log(`queue closed with ${queue.size} job(s) left`),
      }),
      provide(RunContext, {
        use: () => new RunContext(),
        lifetime: 'request',
        dispose: (ctx) => {
          if (performance.now() - ctx.startedAt > 100) console.log(`run ${ctx.run} was slow`);
        },
      }),
    ],
  },
).run();
