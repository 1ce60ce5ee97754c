/** A broker's consumer as its broker keeps it: started, and stopped at close. */
interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts `consumer` and keeps it in `consumers` (the broker stops them at close). One that
 * fails to start is stopped at once — its channel or its polling released — and the error
 * is thrown: `consume` either resolves with a running consumer or leaves nothing behind.
 */
export async function startConsumer<C extends Stoppable>(
  consumers: Set<C>,
  consumer: C,
  start: () => Promise<void>,
): Promise<C> {
  consumers.add(consumer);
  try {
    await start();
  } catch (error) {
    await consumer.stop();
    throw error;
  }
  return consumer;
}
