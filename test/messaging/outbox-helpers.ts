// What the outbox tests share: a relay as an application of its own (over a given database
// and broker), and a consumer that records what arrives, per key, to check delivery and order.
import { Application, createLogger, provide } from 'libretto';
import { Broker, type Consumer, OutboxRelay, type OutboxRelayOptions } from 'libretto/messaging';
import { Database } from 'libretto/postgres';

/** A running relay application; `app.stop()` stops it. */
export async function startRelay(
  db: Database,
  broker: Broker,
  options: OutboxRelayOptions = {},
): Promise<{ app: Application; relay: OutboxRelay }> {
  const relay = new OutboxRelay(options);
  const app = new Application(relay, {
    providers: [provide(Database, { value: db }), provide(Broker, { value: broker })],
    logger: createLogger({ level: 'silent' }),
  });
  await app.start();
  return { app, relay };
}

/** Messages received on one queue: `seq` per key, in arrival order, duplicates included. */
export class Received {
  readonly byKey = new Map<string, number[]>();
  readonly ids = new Map<string, number>();
  count = 0;
  consumer: Consumer | undefined;

  static async on(broker: Broker, queue: string): Promise<Received> {
    const r = new Received();
    r.consumer = await broker.consume<{ seq: number }>(
      queue,
      (m) => {
        // Recorded as delivered (in queue order), before any await.
        r.count++;
        r.ids.set(m.id, (r.ids.get(m.id) ?? 0) + 1);
        const key = m.key ?? '';
        const list = r.byKey.get(key) ?? [];
        list.push(m.data.seq);
        r.byKey.set(key, list);
      },
      { prefetch: 500 },
    );
    return r;
  }

  /** Distinct messages received. */
  get distinct(): number {
    return this.ids.size;
  }

  get duplicates(): number {
    return this.count - this.ids.size;
  }

  /**
   * Per-key order: the first arrival of each message of a key comes in seq order 0, 1, 2…
   * with no gap (duplicates — resends after a crash — may come later, never a new one early).
   * Returns the keys that break it.
   */
  orderViolations(): string[] {
    const bad: string[] = [];
    for (const [key, seqs] of this.byKey) {
      const seen = new Set<number>();
      let next = 0;
      for (const seq of seqs) {
        if (seen.has(seq)) continue;
        if (seq !== next) {
          bad.push(`${key}: got ${seq}, expected ${next}`);
          break;
        }
        seen.add(seq);
        next++;
      }
    }
    return bad;
  }
}
