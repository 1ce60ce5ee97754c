/** The error `promise` rejects with; a test failure when it resolves or rejects with no Error. */
export async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a failure');
  return error as Error & Record<string, unknown>;
}
