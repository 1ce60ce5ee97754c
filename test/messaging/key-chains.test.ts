// The order of a key across a relay's open batches, in memory: what the relay relies on when a
// batch claims rows of a key another open batch of it is still sending.
import { describe, expect, it } from 'vitest';
import { KeyChains } from '../../src/messaging/key-chains.js';

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('KeyChains', () => {
  it('lets a later batch send a key only after the earlier one sent all of it', async () => {
    const chains = new KeyChains();
    const a = {};
    const b = {};
    const first = chains.open(a, ['1', '2'], ['k', 'j']);
    const second = chains.open(b, ['3'], ['k']);
    // What the second batch sees of the first: its rows, and the key it holds.
    expect(second.others).toEqual({ rowIds: ['1', '2'], heldKeys: ['k'] });
    expect(await first.turns.get('k')?.earlier).toBe(true);
    const waiting = second.turns.get('k')?.earlier as Promise<boolean>;
    expect(await settled(waiting)).toBe(false);
    first.turns.get('k')?.done(true);
    expect(await waiting).toBe(true);
  });

  it('stops a key for every later batch once one of its sends failed', async () => {
    const chains = new KeyChains();
    const [a, b, c] = [{}, {}, {}];
    const first = chains.open(a, ['1'], ['k']);
    const second = chains.open(b, ['2'], ['k']);
    const third = chains.open(c, ['3'], ['k']);
    first.turns.get('k')?.done(false);
    second.turns.get('k')?.done(true); // it did not send: it was told not to
    expect(await second.turns.get('k')?.earlier).toBe(false);
    expect(await third.turns.get('k')?.earlier).toBe(false);
  });

  it('treats a batch closed without saying as a failure, and forgets keys no open batch holds', async () => {
    const chains = new KeyChains();
    const [a, b, c] = [{}, {}, {}];
    const first = chains.open(a, ['1'], ['k']);
    const second = chains.open(b, ['2'], ['k']);
    chains.close(a, first.turns); // rolled back before sending
    expect(await second.turns.get('k')?.earlier).toBe(false);
    second.turns.get('k')?.done(true);
    chains.close(b, second.turns);
    // Nothing open: a new batch of the key waits for nobody; the table's check is enough.
    const third = chains.open(c, ['3'], ['k']);
    expect(third.others).toEqual({ rowIds: [], heldKeys: [] });
    expect(await third.turns.get('k')?.earlier).toBe(true);
  });
});
