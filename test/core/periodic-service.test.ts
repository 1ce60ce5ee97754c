import {
  Application,
  type PeriodicOptions,
  PeriodicService,
  provide,
  type Scope,
  token,
  UsageError,
} from 'libretto';
import { describe, expect, it } from 'vitest';
import { capturedLogger } from './log-capture.js';

const RunId = token<number>('RunId');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Counter extends PeriodicService {
  readonly runs: number[] = [];
  readonly closed: string[] = [];
  constructor(
    interval: number,
    private readonly behaviour: { failOn?: number; runMs?: number } = {},
  ) {
    super({ interval, name: 'Counter' });
  }
  protected override async tick(scope: Scope, signal: AbortSignal): Promise<void> {
    const id = await scope.get(RunId);
    this.runs.push(id);
    if (this.behaviour.runMs) await sleep(this.behaviour.runMs);
    if (signal.aborted) this.closed.push(`aborted ${id}`);
    if (id === this.behaviour.failOn) throw new Error(`run ${id} failed`);
  }
}

function appFor(service: Counter) {
  let next = 0;
  const capture = capturedLogger();
  const app = new Application(service, {
    logger: capture.logger,
    providers: [
      provide(RunId, {
        use: () => ++next,
        lifetime: 'request',
        dispose: (id, error) => {
          service.closed.push(`${id}${error ? ` (${(error as Error).message})` : ''}`);
        },
      }),
    ],
  });
  return { app, capture };
}

describe('PeriodicService (APP-4)', () => {
  it('runs each tick in its own request scope, closed after the run', async () => {
    const counter = new Counter(10);
    const { app } = appFor(counter);
    await app.start();
    await sleep(100);
    await app.stop();
    expect(counter.runs.length).toBeGreaterThanOrEqual(3);
    expect(counter.runs).toEqual(counter.runs.map((_, i) => i + 1));
    expect(counter.closed).toEqual(counter.runs.map(String));
  });

  it('logs a failed run, closes its scope with the error, and keeps going', async () => {
    const counter = new Counter(10, { failOn: 1 });
    const { app, capture } = appFor(counter);
    await app.start();
    await sleep(80);
    await app.stop();
    expect(counter.closed[0]).toBe('1 (run 1 failed)');
    expect(counter.runs.length).toBeGreaterThan(1);
    expect(capture.lines).toContainEqual(
      expect.objectContaining({ msg: 'Counter run failed', service: 'Counter' }),
    );
  });

  it('stop waits for the run in progress and tells it to finish', async () => {
    const counter = new Counter(1_000, { runMs: 100 });
    const { app } = appFor(counter);
    await app.start();
    await sleep(20);
    await app.stop();
    expect(counter.runs).toEqual([1]);
    expect(counter.closed).toEqual(['aborted 1', '1']);
  });

  it('never overlaps runs even when a run is longer than the interval', async () => {
    let active = 0;
    let maxActive = 0;
    class Overlap extends Counter {
      protected override async tick(scope: Scope, signal: AbortSignal) {
        active++;
        maxActive = Math.max(maxActive, active);
        await super.tick(scope, signal);
        active--;
      }
    }
    const service = new Overlap(1, { runMs: 20 });
    const { app } = appFor(service);
    await app.start();
    await sleep(120);
    await app.stop();
    expect(maxActive).toBe(1);
    expect(service.runs.length).toBeGreaterThan(2);
  });

  it('rejects unknown options', () => {
    class Job extends PeriodicService {
      protected tick() {}
    }
    expect(() => new Job({ interval: 1, runOnstart: false } as PeriodicOptions)).toThrow(
      'Job: runOnstart unknown option',
    );
  });

  it('rejects a non-positive interval at start', async () => {
    const { app } = appFor(new Counter(0));
    const error = await app.start().catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(UsageError);
    expect((error as Error).cause).toMatchObject({ code: 'INVALID_OPTION' });
    expect((error as Error).message).toContain(
      'Service Counter failed to start: Counter: interval must be a positive number',
    );
  });
});
