// Shared by the database benchmarks: N concurrent callers in a loop for a fixed time, and
// rotating rounds over contenders whose pools are opened once.

/** One contender's figures for one round. */
export interface Result {
  readonly ops: number;
  readonly p99: number;
  /** CPU time of this Node.js process per call (µs): steadier than throughput on a shared box. */
  readonly cpu: number;
}

/** A contender whose pool is opened once, then measured round after round. */
export interface RoundContender {
  readonly name: string;
  open(): Promise<{ run: () => Promise<Result>; close: () => Promise<void> }>;
}

/** `callers` loops calling `op` for `seconds` after a 0.5 s warm-up: ops/s, p99 ms, CPU µs/op. */
export async function drive(
  op: () => Promise<unknown>,
  callers: number,
  seconds: number,
): Promise<Result> {
  const latencies: number[] = [];
  const warmUntil = performance.now() + 500;
  const end = warmUntil + seconds * 1000;
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const loop = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      await op();
      calls++;
      if (t0 >= warmUntil) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  const used = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length / seconds,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    cpu: (used.user + used.system) / calls,
  };
}

/**
 * Opens every contender, then measures them `count` times, each round starting with the next
 * one (machine drift hits all alike); per contender the median round by throughput.
 */
export async function rounds(
  contenders: readonly RoundContender[],
  count: number,
): Promise<[string, Result][]> {
  const opened = [];
  for (const c of contenders) opened.push(await c.open());
  try {
    const results = contenders.map(() => [] as Result[]);
    for (let round = 0; round < count; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + round) % contenders.length;
        results[i]?.push(await (opened[i] as { run: () => Promise<Result> }).run());
      }
    }
    return contenders.map((c, i) => {
      const sorted = [...(results[i] ?? [])].sort((a, b) => a.ops - b.ops);
      return [c.name, sorted[Math.floor(sorted.length / 2)] as Result];
    });
  } finally {
    for (const o of opened) await o.close();
  }
}

/** One table row: name, ops/s, p99, CPU µs/op and a ratio column. */
export function resultLine(name: string, r: Result, ratio: string): string {
  const cpu = Number.isNaN(r.cpu) ? '—' : r.cpu.toFixed(1);
  return `${name.padEnd(40)} ${Math.round(r.ops).toLocaleString('en-US').padStart(9)} ${r.p99.toFixed(2).padStart(7)} ${cpu.padStart(9)}  ${ratio}`;
}

/** The header matching {@link resultLine}. */
export function resultHeader(ratioTitle: string): string {
  return `${'contender'.padEnd(40)} ${'ops/s'.padStart(9)} ${'p99 ms'.padStart(7)} ${'CPU µs/op'.padStart(9)}  ${ratioTitle}`;
}
