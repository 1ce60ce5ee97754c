/**
 * Response times of one host over a sliding window: the last `windowSize`
 * samples, their median for the weighted balancer, the newest for `getLastResponseTime`.
 */
export class Stopwatch {
  readonly #samples: number[] = [];
  #next = 0;
  #last: number | undefined;
  /** Cached between samples: the weighted balancer reads it on every pick. */
  #median: number | undefined;

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
    this.#median = undefined;
    this.#next = (this.#next + 1) % this.windowSize;
  }

  /** The newest sample, or undefined before the first. */
  get last(): number | undefined {
    return this.#last;
  }

  /** The median of the window (the mean of the middle two for an even count). */
  median(): number | undefined {
    const n = this.#samples.length;
    if (n === 0 || this.#median !== undefined) return this.#median;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const mid = n >> 1;
    this.#median =
      n % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    return this.#median;
  }

  clear(): void {
    this.#samples.length = 0;
    this.#next = 0;
    this.#last = undefined;
    this.#median = undefined;
  }
}
