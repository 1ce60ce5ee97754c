// What every contender serves: one known user, and how a server tells the runner its port.
export const USER_ID = '7c1f4a52-3b0e-4d8e-9a55-2f6a1f0b9c21';

export interface User {
  id: string;
  name: string;
  email: string;
  createdAt: string;
}

/** The app-scoped store every contender reads from. */
export class UserStore {
  readonly #users = new Map<string, User>([
    [
      USER_ID,
      {
        id: USER_ID,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        createdAt: '2026-01-01T00:00:00.000Z',
      },
    ],
  ]);
  find(id: string): User | undefined {
    return this.#users.get(id);
  }
}

/** Request-scoped #1: who is calling, from the request's headers. */
export class RequestContext {
  constructor(readonly caller: string) {}
}

/** Request-scoped #2: reads users on behalf of the caller. */
export class UserReader {
  constructor(
    readonly store: UserStore,
    readonly context: RequestContext,
  ) {}
  get(
    id: string,
    detailed: boolean,
  ): (Omit<User, 'createdAt'> & { createdAt?: string }) | undefined {
    const user = this.store.find(id);
    if (user === undefined) return undefined;
    if (detailed) return user;
    const { createdAt: _, ...rest } = user;
    return rest;
  }
}

/** The envelope the hand-written contenders answer for an unknown user. */
export const USER_NOT_FOUND = {
  success: false,
  data: null,
  error: { message: 'User not found', code: 'NOT_FOUND', details: [] },
} as const;

/** Prints the listening port as one JSON line for the runner. */
export function announce(port: number): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

/** Stops on the runner's SIGTERM. */
export function stopOnSignal(stop: () => Promise<unknown>): void {
  process.once('SIGTERM', () => void stop().finally(() => process.exit(0)));
}
