/** A key's turn in a batch: wait for the earlier batches' sends, then say how this one's went. */
export interface KeyTurn {
  /** True when every earlier send of the key by this relay's open batches was confirmed. */
  readonly earlier: Promise<boolean>;
  /** Says whether this batch sent all its rows of the key (false: later batches must not send it). */
  readonly done: (allSent: boolean) => void;
}

/** What the other open batches of the relay hold when a batch claims. */
export interface OpenSnapshot {
  /** Rows claimed by the other open batches: pending in the table, but taken care of. */
  readonly rowIds: string[];
  /** Keys the other open batches send: they hold the key's advisory lock. */
  readonly heldKeys: string[];
}

/**
 * The order of a key across the batches one relay has in flight at once: a batch sends a
 * key's rows only after every earlier open batch's rows of that key were confirmed, and none
 * of them if one failed — in memory, without waiting for the earlier batch's commit. Turns
 * are taken synchronously when the rows are claimed, so two batches never race for a key.
 */
export class KeyChains {
  readonly #tails = new Map<string, Promise<boolean>>();
  readonly #open = new Map<object, { rowIds: readonly string[]; keys: readonly string[] }>();

  /**
   * Registers a batch's claimed rows and takes a turn for each of its keys. Returns the turns
   * and what the other open batches held at this instant.
   */
  open(
    batch: object,
    rowIds: readonly string[],
    keys: readonly string[],
  ): { turns: Map<string, KeyTurn>; others: OpenSnapshot } {
    const others: OpenSnapshot = { rowIds: [], heldKeys: [] };
    for (const open of this.#open.values()) {
      for (const id of open.rowIds) others.rowIds.push(id);
    }
    const turns = new Map<string, KeyTurn>();
    for (const key of keys) {
      const earlier = this.#tails.get(key);
      if (earlier !== undefined) others.heldKeys.push(key);
      let done!: (allSent: boolean) => void;
      const mine = new Promise<boolean>((resolve) => {
        done = resolve;
      });
      const tail = earlier === undefined ? mine : earlier.then((ok) => (ok ? mine : false));
      this.#tails.set(key, tail);
      turns.set(key, { earlier: earlier ?? Promise.resolve(true), done });
    }
    this.#open.set(batch, { rowIds, keys });
    return { turns, others };
  }

  /** The batch committed or rolled back: its rows are the table's business again. */
  close(batch: object, turns: Map<string, KeyTurn>): void {
    for (const turn of turns.values()) turn.done(false); // no-op for the turns already done
    const open = this.#open.get(batch);
    this.#open.delete(batch);
    if (open === undefined) return;
    // A key no later batch took is forgotten; one that a later batch took stays its tail.
    for (const key of open.keys) {
      if (!this.#laterTook(key)) this.#tails.delete(key);
    }
  }

  #laterTook(key: string): boolean {
    for (const open of this.#open.values()) if (open.keys.includes(key)) return true;
    return false;
  }
}
