/**
 * Response times of one host over a sliding window (SPEC HA-8): the last `windowSize`
 * samples, their median for the weighted balancer, the newest for `getLastResponseTime`.
 */
export class Stopwatch {
  readonly #samples: number[] = [];
  #next = 0;
  #last: number | undefined;

  constructor(readonly windowSize: number) {
    if (!Number.isInteger(windowSize) || windowSize < 1) {
      throw new RangeError(`A stopwatch window holds at least one sample, not ${windowSize}`);
    }
  }

  /** Records one response time (ms). */
  add(ms: number): void {
    if (this.#samples.length < this.windowSize) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#last = ms;
    this.#next = (this.#next + 1) % this.windowSize;
  }

  /** The newest sample, or undefined before the first. */
  get last(): number | undefined {
    return this.#last;
  }

  /** The median of the window (the mean of the middle two for an even count). */
  median(): number | undefined {
    const n = this.#samples.length;
    if (n === 0) return undefined;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const mid = n >> 1;
    return n % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }

  clear(): void {
    this.#samples.length = 0;
    this.#next = 0;
    this.#last = undefined;
  }
}
