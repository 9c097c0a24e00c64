import { setTimeout as delay } from 'node:timers/promises';

export interface PollInput {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** The error to throw once `timeoutMs` has passed; gets the last error `check` threw, if any. */
  readonly timeoutError: (lastError: unknown) => Error;
}

/**
 * Calls `check` every `intervalMs` until it returns a value other than undefined. Errors from `check` count as "not
 * yet" (the next call may succeed) until the bound. Waits are unref'd: polling never holds the process by itself.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, input: PollInput): Promise<T> {
  const deadline = Date.now() + input.timeoutMs;
  let lastError: unknown;
  for (;;) {
    input.signal?.throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      input.signal?.throwIfAborted();
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw input.timeoutError(lastError);
    await delay(Math.min(input.intervalMs, left), undefined, { signal: input.signal, ref: false });
  }
}
