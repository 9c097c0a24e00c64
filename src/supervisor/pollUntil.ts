import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `check` every `intervalMs` until it returns a value other than undefined, or `timeoutMs` has
 * passed (then resolves undefined after one last check). The commands wait on files and pids this way:
 * there is no event to wait on across processes.
 */
export async function pollUntil<T>(
  check: () => T | undefined,
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(intervalMs, left));
  }
}
