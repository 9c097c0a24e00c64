type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * The one way a test waits: polls `check` until it returns a truthy value (which it resolves with), or fails after
 * `timeoutMs` naming `what` and the last value seen. Tests wait on a condition like this, never on a guessed sleep;
 * the bounds are generous because a busy 2-core CI machine can be many times slower than a laptop.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 50): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await check();
    if (last) return last as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${describe(last)})`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
