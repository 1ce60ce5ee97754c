/** One checkout being timed: `settled` once it got a connection or timed out. */
export interface Checkout {
  readonly deadline: number;
  readonly onTimeout: () => void;
  settled: boolean;
  /** The timeout fired before the caller settled it: the caller was told, and gave up. */
  expired: boolean;
}

/**
 * The acquire timeout of a pool, with one timer for all its checkouts instead of one each
 * (`pg-pool` arms, unrefs and clears a timer per checkout, even when a connection is idle):
 * every checkout waits the same time, so deadlines come in arrival order and the timer only
 * needs to fire for the oldest unsettled one. A timeout of 0 waits for ever. Unref'd: waiting
 * callers alone do not keep the process alive.
 */
export class CheckoutTimer {
  readonly #queue: Checkout[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Times a checkout: `onTimeout` runs unless the caller sets `settled` first. */
  start(onTimeout: () => void): Checkout {
    const checkout: Checkout = {
      deadline: performance.now() + this.timeoutMs,
      onTimeout,
      settled: this.timeoutMs === 0,
      expired: false,
    };
    if (this.timeoutMs === 0) return checkout;
    const queue = this.#queue;
    // Checkouts settle mostly in arrival order: drop the settled ones at the front as we go.
    while (this.#head < queue.length && (queue[this.#head] as Checkout).settled) this.#head++;
    if (this.#head > 1024) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
    queue.push(checkout);
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
    return checkout;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(delayMs)));
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const queue = this.#queue;
    const now = performance.now();
    while (this.#head < queue.length) {
      const checkout = queue[this.#head] as Checkout;
      if (!checkout.settled && checkout.deadline > now) break;
      this.#head++;
      if (!checkout.settled) {
        checkout.settled = true;
        checkout.expired = true;
        checkout.onTimeout();
      }
    }
    queue.splice(0, this.#head);
    this.#head = 0;
    const next = queue[0];
    if (next !== undefined) this.#arm(next.deadline - now);
  };
}
