import { Bench } from 'tinybench';

/** One contender in a side-by-side benchmark: `run` performs `batch` operations. */
export interface Contender {
  readonly name: string;
  readonly run: () => unknown;
  readonly note?: string;
}

/** Runs every contender in one process and one run; returns ops/s per contender. */
export async function compare(
  title: string,
  contenders: readonly Contender[],
  options: { batch: number; time?: number },
): Promise<Map<string, number>> {
  const bench = new Bench({ time: options.time ?? 1500, warmupTime: 300 });
  for (const c of contenders) bench.add(c.name, c.run);
  await bench.run();
  const results = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state === 'errored') throw r.error;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
    results.set(task.name, r.throughput.mean * options.batch);
  }
  const [base] = contenders;
  const baseOps = results.get(base?.name ?? '') ?? 1;
  console.log(`\n${title}`);
  console.log(`${'contender'.padEnd(34)} ${'ops/s'.padStart(12)}  ${'libretto ×'.padStart(10)}`);
  for (const c of contenders) {
    const ops = results.get(c.name) ?? 0;
    const ratio = c === base ? '—' : `${(baseOps / ops).toFixed(2)}×`;
    console.log(
      `${c.name.padEnd(34)} ${Math.round(ops).toLocaleString('en-US').padStart(12)}  ${ratio.padStart(10)}${c.note ? `  (${c.note})` : ''}`,
    );
  }
  return results;
}
